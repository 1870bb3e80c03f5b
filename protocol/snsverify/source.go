package snsverify

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxCertSize bounds the certificate document read: SNS's are about 2 KiB.
const maxCertSize = 64 << 10

// CertSource gets the certificate a SigningCertURL names. Implementations
// are safe for concurrent use. The Verifier has checked the URL first and
// caches what Certificate returns.
type CertSource interface {
	Certificate(ctx context.Context, url string) (*x509.Certificate, error)
}

// CertSourceFunc is a function that is a CertSource.
type CertSourceFunc func(ctx context.Context, url string) (*x509.Certificate, error)

// Certificate calls f.
func (f CertSourceFunc) Certificate(ctx context.Context, url string) (*x509.Certificate, error) {
	return f(ctx, url)
}

// HTTPSource fetches certificates with an HTTP GET through client: the
// answer must be 200 OK with a PEM certificate of at most 64 KiB. A nil
// client means one that follows no redirects and gives up after
// DefaultTimeout.
func HTTPSource(client *http.Client) CertSource {
	if client == nil {
		client = &http.Client{
			Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("snsverify: the certificate URL redirects")
			},
		}
	}
	return CertSourceFunc(func(ctx context.Context, url string) (*x509.Certificate, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertSize+1))
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", url, err)
		}
		if len(body) > maxCertSize {
			return nil, fmt.Errorf("GET %s: more than %d bytes", url, maxCertSize)
		}
		return ParsePEM(body)
	})
}

// ParsePEM reads the first CERTIFICATE block of a PEM document.
func ParsePEM(doc []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, doc = pem.Decode(doc)
		if b == nil {
			return nil, errors.New("no PEM certificate")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}
