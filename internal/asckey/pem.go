package asckey

import (
	"strings"
)

// pemBlock is one BEGIN/END block, found tolerantly: the armour lines may
// share a line with the body (a PEM collapsed onto one line), and the END
// line may be missing (a cut secret).
type pemBlock struct {
	label     string
	body      string // as found, headers included
	complete  bool   // the END line was found
	encrypted bool   // RFC 1421 Proc-Type: 4,ENCRYPTED
}

const maxPEMBlocks = 16

// scanPEM returns the blocks in t and whether any non-space text lies
// outside them. t contains "-----BEGIN ".
func scanPEM(t string) (blocks []pemBlock, outside bool, err error) {
	const begin, dashes = "-----BEGIN ", "-----"
	pos := 0
	for len(blocks) < maxPEMBlocks {
		i := strings.Index(t[pos:], begin)
		if i < 0 {
			break
		}
		if strings.TrimFunc(t[pos:pos+i], isJunk) != "" {
			outside = true
		}
		start := pos + i + len(begin)
		j := strings.Index(t[start:], dashes)
		if j < 0 {
			return nil, false, errCorrupt("a PEM BEGIN line that is cut off")
		}
		label := t[start : start+j]
		if !validLabel(label) {
			return nil, false, errCorrupt("a PEM BEGIN line that is damaged")
		}
		bodyStart := start + j + len(dashes)
		end := "-----END " + label + dashes
		k := strings.Index(t[bodyStart:], end)
		if k < 0 {
			// No END line: the body runs to the next armour line, if any.
			rest := t[bodyStart:]
			if n := strings.Index(rest, dashes); n >= 0 {
				rest = rest[:n]
			}
			blocks = append(blocks, pemBlock{label: label, body: rest})
			pos = bodyStart + len(rest)
			if pos < len(t) && !strings.HasPrefix(t[pos:], begin) {
				outside = true // a stray or mismatched END line
			}
			continue
		}
		blocks = append(blocks, pemBlock{label: label, body: t[bodyStart : bodyStart+k], complete: true})
		pos = bodyStart + k + len(end)
	}
	if strings.TrimFunc(t[pos:], isJunk) != "" {
		outside = true
	}
	for i := range blocks {
		b := &blocks[i]
		b.encrypted = strings.Contains(b.body, "Proc-Type:") && strings.Contains(b.body, "ENCRYPTED")
	}
	return blocks, outside, nil
}

func validLabel(label string) bool {
	if label == "" || len(label) > 40 || label[0] == ' ' || label[len(label)-1] == ' ' {
		return false
	}
	for _, r := range label {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != ' ' {
			return false
		}
	}
	return true
}

// pemBody returns the base64 of a block body: RFC 1421 header lines
// ("Name: value") dropped, whitespace removed.
func pemBody(body string) string {
	if strings.Contains(body, ":") {
		lines := strings.Split(body, "\n")
		kept := lines[:0]
		for _, l := range lines {
			if !strings.Contains(l, ":") {
				kept = append(kept, l)
			}
		}
		body = strings.Join(kept, "\n")
	}
	return compact(body)
}

// Labels whose meaning is certain whatever the body holds.
var (
	publicKeyLabels = map[string]bool{
		"PUBLIC KEY": true, "EC PUBLIC KEY": true, "RSA PUBLIC KEY": true, "DSA PUBLIC KEY": true,
	}
	certificateLabels = map[string]string{
		"CERTIFICATE":             "a CERTIFICATE",
		"TRUSTED CERTIFICATE":     "a CERTIFICATE",
		"X509 CERTIFICATE":        "a CERTIFICATE",
		"CERTIFICATE REQUEST":     "a CERTIFICATE REQUEST",
		"NEW CERTIFICATE REQUEST": "a CERTIFICATE REQUEST",
		"X509 CRL":                "a certificate revocation list (X509 CRL)",
		"PKCS7":                   "a PKCS7 certificate bundle",
	}
)

func isPrivateLabel(label string) bool { return strings.HasSuffix(label, "PRIVATE KEY") }
