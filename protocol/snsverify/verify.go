package snsverify

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// Sentinel errors, matched with errors.Is by the errors of Verify.
var (
	// ErrSignature: the envelope carries no usable signature (no
	// signature, an unknown SignatureVersion, fields the string to sign
	// needs missing) or the signature does not match its fields.
	ErrSignature = errors.New("snsverify: the SNS signature does not verify")
	// ErrCertURL: SigningCertURL is not an https URL on an SNS host.
	ErrCertURL = errors.New("snsverify: the signing certificate URL is not an SNS one")
	// ErrCertificate: the signing certificate could not be fetched or
	// read, or is not valid now.
	ErrCertificate = errors.New("snsverify: no usable signing certificate")
)

// Defaults of a Verifier.
const (
	// DefaultCacheSize is how many certificates a Verifier keeps: SNS
	// uses one per region for months.
	DefaultCacheSize = 32
	// DefaultTimeout bounds Verify, which takes no context: fetching a
	// certificate the first time.
	DefaultTimeout = 10 * time.Second
)

// Verifier verifies SNS envelopes. It is safe for concurrent use; make one
// and share it, so that certificates are fetched once.
type Verifier struct {
	source  CertSource
	hosts   map[string]bool
	size    int
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	certs map[string]*certEntry
	order []string // cached URLs, oldest first
}

// certEntry is a certificate being fetched (ready open) or fetched.
type certEntry struct {
	ready chan struct{}
	cert  *x509.Certificate
	err   error
}

// Option configures a Verifier.
type Option func(*Verifier) error

// WithCertSource makes the Verifier get certificates from src instead of
// fetching them over HTTPS with the default client.
func WithCertSource(src CertSource) Option {
	return func(v *Verifier) error {
		if src == nil {
			return errors.New("snsverify: WithCertSource: nil source")
		}
		v.source = src
		return nil
	}
}

// WithHTTPClient makes the Verifier fetch certificates with c (see
// [HTTPSource]).
func WithHTTPClient(c *http.Client) Option {
	return func(v *Verifier) error {
		if c == nil {
			return errors.New("snsverify: WithHTTPClient: nil client")
		}
		v.source = HTTPSource(c)
		return nil
	}
}

// WithCertHosts accepts certificate URLs on these hosts too (a host, or
// host:port, compared exactly with the URL's), still over https. It is for
// tests that serve a certificate of their own, and for SNS-compatible
// services; every host given is trusted to sign for any topic.
func WithCertHosts(hosts ...string) Option {
	return func(v *Verifier) error {
		for _, h := range hosts {
			if h == "" {
				return errors.New("snsverify: WithCertHosts: empty host")
			}
			v.hosts[strings.ToLower(h)] = true
		}
		return nil
	}
}

// WithCacheSize sets how many certificates are kept (DefaultCacheSize by
// default); when full, the one cached first is dropped.
func WithCacheSize(n int) Option {
	return func(v *Verifier) error {
		if n < 1 {
			return fmt.Errorf("snsverify: WithCacheSize(%d): want at least 1", n)
		}
		v.size = n
		return nil
	}
}

// WithTimeout bounds each call of Verify (DefaultTimeout by default).
func WithTimeout(d time.Duration) Option {
	return func(v *Verifier) error {
		if d <= 0 {
			return fmt.Errorf("snsverify: WithTimeout(%v): want a positive duration", d)
		}
		v.timeout = d
		return nil
	}
}

// WithClock makes the Verifier check certificate validity periods against
// now instead of the system clock.
func WithClock(now func() time.Time) Option {
	return func(v *Verifier) error {
		if now == nil {
			return errors.New("snsverify: WithClock: nil clock")
		}
		v.now = now
		return nil
	}
}

// New returns a Verifier. By default it fetches certificates over HTTPS
// with a client that follows no redirects and gives up after
// DefaultTimeout.
func New(opts ...Option) (*Verifier, error) {
	v := &Verifier{
		hosts:   map[string]bool{},
		size:    DefaultCacheSize,
		timeout: DefaultTimeout,
		now:     time.Now,
		certs:   map[string]*certEntry{},
	}
	var errs []error
	for _, o := range opts {
		if err := o(v); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if v.source == nil {
		v.source = HTTPSource(nil)
	}
	return v, nil
}

// Verify verifies the envelope's signature within the Verifier's timeout.
// It has the signature of the [protocol.Decoder] Verify hook.
func (v *Verifier) Verify(env *protocol.SNS) error {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	return v.VerifyContext(ctx, env)
}

// VerifyContext verifies the envelope's signature: nil when SNS signed
// exactly these fields with the certificate SigningCertURL names. The
// error wraps ErrSignature, ErrCertURL or ErrCertificate.
func (v *Verifier) VerifyContext(ctx context.Context, env *protocol.SNS) error {
	var hash crypto.Hash
	switch env.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("%w: SignatureVersion %q is not 1 or 2", ErrSignature, env.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: Signature is not base64", ErrSignature)
	}
	text, err := StringToSign(env)
	if err != nil {
		return err
	}
	if err := v.checkURL(env.SigningCertURL); err != nil {
		return err
	}
	cert, err := v.certificate(ctx, env.SigningCertURL)
	if err != nil {
		return err
	}
	if now := v.now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return fmt.Errorf("%w: the certificate of %s is valid from %v to %v", ErrCertificate, env.SigningCertURL, cert.NotBefore, cert.NotAfter)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: the certificate of %s has no RSA key", ErrCertificate, env.SigningCertURL)
	}
	var digest []byte
	if hash == crypto.SHA1 {
		d := sha1.Sum([]byte(text))
		digest = d[:]
	} else {
		d := sha256.Sum256([]byte(text))
		digest = d[:]
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return nil
}

// StringToSign returns the text SNS signs for the envelope: name and value
// lines of Message, MessageId, Subject (when not empty), Timestamp,
// TopicArn and Type for a Notification, and of Message, MessageId,
// SubscribeURL, Timestamp, Token, TopicArn and Type for a
// SubscriptionConfirmation or UnsubscribeConfirmation, each line ending in
// a newline. Another Type is an error wrapping ErrSignature.
func StringToSign(env *protocol.SNS) (string, error) {
	var fields [][2]string
	switch env.Type {
	case "Notification":
		fields = append(fields, [2]string{"Message", env.Message}, [2]string{"MessageId", env.MessageID})
		if env.Subject != "" {
			fields = append(fields, [2]string{"Subject", env.Subject})
		}
		fields = append(fields, [2]string{"Timestamp", env.Timestamp}, [2]string{"TopicArn", env.TopicARN},
			[2]string{"Type", env.Type})
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		fields = [][2]string{
			{"Message", env.Message}, {"MessageId", env.MessageID}, {"SubscribeURL", env.SubscribeURL},
			{"Timestamp", env.Timestamp}, {"Token", env.Token}, {"TopicArn", env.TopicARN}, {"Type", env.Type},
		}
	default:
		return "", fmt.Errorf("%w: no signature is defined for Type %q", ErrSignature, env.Type)
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f[0])
		b.WriteByte('\n')
		b.WriteString(f[1])
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// snsHost is the host of SNS in a region: sns.<region>.amazonaws.com, or
// .amazonaws.com.cn in the China regions (cn-north-1, cn-northwest-1).
var snsHost = regexp.MustCompile(`^sns\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(\.cn)?$`)

// checkURL accepts an https URL on an SNS host, or on a host given with
// WithCertHosts.
func (v *Verifier) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrCertURL, raw, err)
	}
	if u.Scheme != "https" || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("%w: %q is not an https URL", ErrCertURL, raw)
	}
	host := strings.ToLower(u.Host)
	if v.hosts[host] {
		return nil
	}
	m := snsHost.FindStringSubmatch(host)
	if m == nil || u.Port() != "" {
		return fmt.Errorf("%w: %q is not on a host sns.<region>.amazonaws.com", ErrCertURL, raw)
	}
	if china := strings.HasPrefix(m[1], "cn-"); china != (m[2] != "") {
		want := "amazonaws.com"
		if china {
			want += ".cn"
		}
		return fmt.Errorf("%w: %q: SNS of region %s is on %s", ErrCertURL, raw, m[1], want)
	}
	return nil
}

// certificate returns the certificate at u from the cache, or fetches it.
// Concurrent callers for one URL share one fetch; a failed fetch is not
// cached, so that the next envelope tries again.
func (v *Verifier) certificate(ctx context.Context, u string) (*x509.Certificate, error) {
	v.mu.Lock()
	e, ok := v.certs[u]
	if !ok {
		e = &certEntry{ready: make(chan struct{})}
		v.certs[u] = e
		v.order = append(v.order, u)
		for len(v.order) > v.size {
			delete(v.certs, v.order[0])
			v.order = v.order[1:]
		}
		// The fetch outlives a caller that gives up: the others wait on it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.timeout)
		go func() {
			defer cancel()
			cert, err := v.source.Certificate(fctx, u)
			if err == nil && cert == nil {
				err = errors.New("no certificate")
			}
			v.mu.Lock()
			e.cert, e.err = cert, err
			if err != nil && v.certs[u] == e {
				delete(v.certs, u)
				for i, o := range v.order {
					if o == u {
						v.order = append(v.order[:i:i], v.order[i+1:]...)
						break
					}
				}
			}
			v.mu.Unlock()
			close(e.ready)
		}()
	}
	v.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: fetching %s: %w", ErrCertificate, u, ctx.Err())
	}
	if e.err != nil {
		return nil, fmt.Errorf("%w: fetching %s: %w", ErrCertificate, u, e.err)
	}
	return e.cert, nil
}
