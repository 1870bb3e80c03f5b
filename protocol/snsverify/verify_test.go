package snsverify_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/protocol/snsverify"
)

// signer is a self-signed certificate and its key, standing in for SNS's.
type signer struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	pem  []byte
}

var (
	signerOnce sync.Once
	testSigner *signer
)

func newSigner(t testing.TB) *signer {
	t.Helper()
	signerOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		testSigner = &signer{key: key, cert: cert, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	})
	if testSigner == nil {
		t.Fatal("no test certificate")
	}
	return testSigner
}

// sign signs env as SNS does, with the given SignatureVersion.
func (s *signer) sign(t testing.TB, env *protocol.SNS, version string) {
	t.Helper()
	env.SignatureVersion = version
	text, err := snsverify.StringToSign(env)
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	switch version {
	case "1":
		d := sha1.Sum([]byte(text))
		sig, err = rsa.SignPKCS1v15(nil, s.key, crypto.SHA1, d[:])
	default:
		d := sha256.Sum256([]byte(text))
		sig, err = rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	env.Signature = base64.StdEncoding.EncodeToString(sig)
}

// certServer serves the signer's certificate over TLS on 127.0.0.1 and
// counts the fetches.
type certServer struct {
	*httptest.Server
	fetches atomic.Int64
}

func newCertServer(t *testing.T, s *signer) *certServer {
	cs := &certServer{}
	cs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.fetches.Add(1)
		switch {
		case strings.HasSuffix(r.URL.Path, ".pem"):
			w.Write(s.pem)
		case r.URL.Path == "/garbage":
			w.Write([]byte("not a certificate"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(cs.Close)
	return cs
}

// host is the server's host:port, which the verifier must be told to
// accept.
func (cs *certServer) host() string { return strings.TrimPrefix(cs.URL, "https://") }

func (cs *certServer) verifier(t *testing.T, opts ...snsverify.Option) *snsverify.Verifier {
	t.Helper()
	v, err := snsverify.New(append([]snsverify.Option{snsverify.WithHTTPClient(cs.Client()), snsverify.WithCertHosts(cs.host())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const topic = "arn:aws:sns:us-east-1:123456789012:orders"

func notification(certURL string) *protocol.SNS {
	return &protocol.SNS{
		Type: "Notification", MessageID: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", TopicARN: topic,
		Subject: "My First Message", Message: "{\"order\": 7}\nsecond line", Timestamp: "2012-05-02T00:54:06.655Z",
		SigningCertURL: certURL, UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + topic + ":1",
	}
}

func confirmation(typ, certURL string) *protocol.SNS {
	return &protocol.SNS{
		Type: typ, MessageID: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", TopicARN: topic, Token: "2336412f37",
		Message:      "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=2336412f37",
		Timestamp:    "2012-04-26T20:45:04.751Z", SigningCertURL: certURL,
	}
}

func TestVerifyValidSignatures(t *testing.T) {
	s := newSigner(t)
	cs := newCertServer(t, s)
	v := cs.verifier(t)
	certURL := cs.URL + "/SimpleNotificationService-0123.pem"
	for _, version := range []string{"1", "2"} {
		noSubject := notification(certURL)
		noSubject.Subject = ""
		for name, env := range map[string]*protocol.SNS{
			"notification":             notification(certURL),
			"notification, no subject": noSubject,
			"subscription":             confirmation("SubscriptionConfirmation", certURL),
			"unsubscription":           confirmation("UnsubscribeConfirmation", certURL),
		} {
			t.Run("v"+version+" "+name, func(t *testing.T) {
				s.sign(t, env, version)
				if err := v.Verify(env); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			})
		}
	}
	if n := cs.fetches.Load(); n != 1 {
		t.Errorf("the certificate was fetched %d times for 8 envelopes; want once", n)
	}
}

func TestVerifyRejects(t *testing.T) {
	s := newSigner(t)
	cs := newCertServer(t, s)
	v := cs.verifier(t)
	certURL := cs.URL + "/cert.pem"
	tests := []struct {
		name   string
		change func(env *protocol.SNS) // after signing
		want   error
	}{
		{"tampered message", func(e *protocol.SNS) { e.Message = `{"order": 8}` }, snsverify.ErrSignature},
		{"tampered subject", func(e *protocol.SNS) { e.Subject = "" }, snsverify.ErrSignature},
		{"another topic", func(e *protocol.SNS) { e.TopicARN += "-forged" }, snsverify.ErrSignature},
		{"another type", func(e *protocol.SNS) { e.Type = "SubscriptionConfirmation" }, snsverify.ErrSignature},
		{"unknown type", func(e *protocol.SNS) { e.Type = "Other" }, snsverify.ErrSignature},
		{"version changed", func(e *protocol.SNS) { e.SignatureVersion = "1" }, snsverify.ErrSignature},
		{"unknown version", func(e *protocol.SNS) { e.SignatureVersion = "3" }, snsverify.ErrSignature},
		{"no signature", func(e *protocol.SNS) { e.Signature = "" }, snsverify.ErrSignature},
		{"signature not base64", func(e *protocol.SNS) { e.Signature = "EXAMPLEw6JRN..." }, snsverify.ErrSignature},
		{"http URL", func(e *protocol.SNS) { e.SigningCertURL = "http" + strings.TrimPrefix(e.SigningCertURL, "https") }, snsverify.ErrCertURL},
		{"another host", func(e *protocol.SNS) { e.SigningCertURL = "https://evil.example.com/cert.pem" }, snsverify.ErrCertURL},
		{"host ending like SNS", func(e *protocol.SNS) { e.SigningCertURL = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem" }, snsverify.ErrCertURL},
		{"host starting like SNS", func(e *protocol.SNS) { e.SigningCertURL = "https://evil.sns.us-east-1.amazonaws.com/cert.pem" }, snsverify.ErrCertURL},
		{"not a region", func(e *protocol.SNS) { e.SigningCertURL = "https://sns.evil.amazonaws.com/cert.pem" }, snsverify.ErrCertURL},
		{"China region on .com", func(e *protocol.SNS) { e.SigningCertURL = "https://sns.cn-north-1.amazonaws.com/cert.pem" }, snsverify.ErrCertURL},
		{"other region on .com.cn", func(e *protocol.SNS) { e.SigningCertURL = "https://sns.us-east-1.amazonaws.com.cn/cert.pem" }, snsverify.ErrCertURL},
		{"port on an SNS host", func(e *protocol.SNS) { e.SigningCertURL = "https://sns.us-east-1.amazonaws.com:8443/cert.pem" }, snsverify.ErrCertURL},
		{"user info", func(e *protocol.SNS) { e.SigningCertURL = "https://x@sns.us-east-1.amazonaws.com/cert.pem" }, snsverify.ErrCertURL},
		{"no URL", func(e *protocol.SNS) { e.SigningCertURL = "" }, snsverify.ErrCertURL},
		{"certificate missing", func(e *protocol.SNS) { e.SigningCertURL = cs.URL + "/missing" }, snsverify.ErrCertificate},
		{"not a certificate", func(e *protocol.SNS) { e.SigningCertURL = cs.URL + "/garbage" }, snsverify.ErrCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := notification(certURL)
			s.sign(t, env, "2")
			tt.change(env)
			if err := v.Verify(env); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFailedFetchesAreNotCached(t *testing.T) {
	s := newSigner(t)
	cs := newCertServer(t, s)
	v := cs.verifier(t)
	env := notification(cs.URL + "/missing")
	s.sign(t, env, "1")
	for range 3 {
		if err := v.Verify(env); !errors.Is(err, snsverify.ErrCertificate) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("Verify = %v, want ErrCertificate saying 404", err)
		}
	}
	if n := cs.fetches.Load(); n != 3 {
		t.Errorf("%d fetches for 3 failed verifications; want each to try again", n)
	}
}

func TestCertificateCache(t *testing.T) {
	s := newSigner(t)
	cs := newCertServer(t, s)

	// Many concurrent verifications share one fetch.
	v := cs.verifier(t)
	env := notification(cs.URL + "/a.pem")
	s.sign(t, env, "2")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() { errs <- v.Verify(env) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 50 verifications with one certificate; want 1", n)
	}

	// The cache is bounded: with room for one, two URLs in turn are
	// fetched each time; one URL again is not.
	cs.fetches.Store(0)
	small := cs.verifier(t, snsverify.WithCacheSize(1))
	a, b := notification(cs.URL+"/a.pem"), notification(cs.URL+"/b.pem")
	s.sign(t, a, "2")
	s.sign(t, b, "2")
	for _, env := range []*protocol.SNS{a, a, b, b, a} {
		if err := small.Verify(env); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.fetches.Load(); n != 3 {
		t.Errorf("%d fetches for a, a, b, b, a with room for one certificate; want 3", n)
	}
}

func TestSNSHostsAndClock(t *testing.T) {
	s := newSigner(t)
	var asked []string
	src := snsverify.CertSourceFunc(func(_ context.Context, u string) (*x509.Certificate, error) {
		asked = append(asked, u)
		return s.cert, nil
	})
	now := time.Now()
	v, err := snsverify.New(snsverify.WithCertSource(src), snsverify.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		"https://sns.us-gov-west-1.amazonaws.com/c.pem",
		"https://SNS.eu-central-1.amazonaws.com/c.pem",
		"https://sns.cn-north-1.amazonaws.com.cn/c.pem",
	} {
		env := notification(u)
		s.sign(t, env, "1")
		if err := v.Verify(env); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if len(asked) != 4 {
		t.Errorf("the source was asked for %q", asked)
	}
	// A certificate outside its validity period is refused.
	now = s.cert.NotAfter.Add(time.Second)
	env := notification("https://sns.us-west-2.amazonaws.com/c.pem")
	s.sign(t, env, "2")
	if err := v.Verify(env); !errors.Is(err, snsverify.ErrCertificate) {
		t.Errorf("expired certificate: %v, want ErrCertificate", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]snsverify.Option{
		"cache size": snsverify.WithCacheSize(0),
		"timeout":    snsverify.WithTimeout(0),
		"host":       snsverify.WithCertHosts(""),
		"source":     snsverify.WithCertSource(nil),
		"client":     snsverify.WithHTTPClient(nil),
		"clock":      snsverify.WithClock(nil),
	} {
		if _, err := snsverify.New(o); err == nil {
			t.Errorf("%s: New accepted a bad option", name)
		}
	}
}

// TestDecoderHook checks the verifier as the hook of protocol.Decoder: a
// signed envelope is unwrapped; a tampered one is a data document.
func TestDecoderHook(t *testing.T) {
	s := newSigner(t)
	cs := newCertServer(t, s)
	d := protocol.Decoder{TopicARNs: []string{topic}, Verify: cs.verifier(t).Verify}
	env := notification(cs.URL + "/c.pem")
	s.sign(t, env, "2")
	body := func(message string) string {
		b, err := json.Marshal(map[string]string{
			"Type": env.Type, "MessageId": env.MessageID, "TopicArn": env.TopicARN, "Subject": env.Subject,
			"Message": message, "Timestamp": env.Timestamp, "SignatureVersion": env.SignatureVersion,
			"Signature": env.Signature, "SigningCertURL": env.SigningCertURL, "UnsubscribeURL": env.UnsubscribeURL,
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	m, err := d.Decode(body(env.Message))
	if err != nil || m.SNS == nil || m.Kind != protocol.KindText {
		t.Fatalf("signed envelope: kind %s, SNS %v, %v; want it unwrapped", m.Kind, m.SNS, err)
	}
	m, err = d.Decode(body(`{"order": 8}`))
	if err != nil || m.SNS != nil || m.Kind != protocol.KindData || m.Data["Message"] != `{"order": 8}` {
		t.Fatalf("tampered envelope: kind %s, SNS %v, %v; want the envelope as data", m.Kind, m.SNS, err)
	}
}
