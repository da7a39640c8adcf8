package asckey

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"strings"
)

// minSecretLine is the length below which a line is registered only when
// it is base64 key material (the short last line of a wrapped body), so
// that words like "-----" or "}" are not masked all over the log.
const (
	minSecretLine   = 8
	minMaterialLine = 4 // masking 1–3 characters would garble every log line
)

// SecretLines returns every line to register with ::add-mask:: for a key
// value raw, so that the key cannot show up in a log in any of the forms
// Parse accepts, nor in the forms a later step may re-encode it into:
//
//   - each trimmed line of raw and of its cleaned, unescaped and
//     base64-decoded variants, every base64 body on one line, and the
//     base64 of each DER found;
//   - the 64-character PEM wrapping of each base64 body of DER found;
//   - when k is not nil (Parse succeeded), every standard layout of the
//     key (see ecParts.layouts), both as normalised and with its parts as
//     received, each as one line of base64 and as 64-character PEM body
//     lines.
//
// Lines that are not secret are left out: PEM BEGIN/END lines, the body of
// an EC PARAMETERS block, and PEM lines made only of the structure every
// P-256 key shares; masking them would garble logs. Lines are unique, in a
// stable order.
func SecretLines(raw string, k *Key) []string {
	var v variants
	v.collect(raw, 0)
	s := secretSet{material: v.material, seen: map[string]bool{}, shared: v.shared}
	if s.shared == nil {
		s.shared = map[string]bool{}
	}
	// The key's layouts come first, so that the lines of raw that are the
	// same for every key (see layout.pemLines) are known when raw is read.
	var own []string // one-line base64 and PEM lines of the layouts
	generated := map[string]bool{}
	if k != nil && k.Private != nil {
		for _, l := range keyLayouts(k.Private, v.ders) {
			one := base64.StdEncoding.EncodeToString(l.der)
			generated[one] = true
			s.material = append(s.material, one)
			lines, shared := l.pemLines()
			own = append(append(own, one), lines...)
			for _, x := range shared {
				s.shared[x] = true
			}
		}
	}
	for _, t := range v.texts {
		for _, line := range strings.FieldsFunc(t, func(r rune) bool { return r == '\n' || r == '\r' }) {
			s.addLine(line)
		}
	}
	for _, m := range v.material {
		s.addLine(m)
	}
	for _, l := range own {
		s.addPiece(l)
	}
	s.addWrapped(v.bodies, generated)
	return s.lines
}

// addWrapped registers the 64-character PEM wrapping of bodies given on one
// line, or wrapped otherwise, that a later step wraps into a PEM. The key's
// own layouts (generated) are covered line by line already; this is for the
// rest (a layout SecretLines does not make, a key Parse refused).
func (s *secretSet) addWrapped(bodies []string, generated map[string]bool) {
	wrapped := 0
	for _, b := range bodies {
		if generated[b] || len(b) > maxWrappedBody {
			continue
		}
		for i := 0; i < len(b) && wrapped < maxWrappedLines; i += 64 {
			s.addPiece(b[i:min(len(b), i+64)])
			wrapped++
		}
	}
}

// Bounds on the PEM wrapping of bodies found in a value: a P-256 key's
// body is about 200 characters, and a hostile value must not register
// thousands of masks.
const (
	maxWrappedBody  = 1024
	maxWrappedLines = 32
)

// maxDERs bounds how many DER blobs of a value are read for the parts of
// the key as received.
const maxDERs = 8

// keyLayouts returns every standard layout of priv, with its parts as
// normalised and as received in each of ders, without repeats.
func keyLayouts(priv *ecdsa.PrivateKey, ders [][]byte) []layout {
	canon, err := canonicalParts(priv)
	if err != nil {
		return nil
	}
	parts := []ecParts{canon}
	for _, der := range ders {
		got, ok := receivedParts(der, priv, canon)
		if !ok {
			continue
		}
		known := false
		for _, p := range parts {
			known = known || bytes.Equal(p.d, got.d) && bytes.Equal(p.pub, got.pub)
		}
		if !known {
			parts = append(parts, got)
		}
	}
	var out []layout
	seen := map[string]bool{}
	for _, p := range parts {
		ls, err := p.layouts()
		if err != nil {
			continue
		}
		for _, l := range ls {
			if !seen[string(l.der)] {
				seen[string(l.der)] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// variants are the texts a value turns into on its way through Parse, and
// the base64 material found in them.
type variants struct {
	texts    []string
	material []string        // one-line base64 of key data
	ders     [][]byte        // DER found, at most maxDERs
	bodies   []string        // one-line base64 of DER found, as given and in standard base64
	shared   map[string]bool // lines that are not secret: the body of EC PARAMETERS
}

func (v *variants) collect(raw string, depth int) {
	v.texts = append(v.texts, raw)
	if len(raw) > maxInput || depth > maxDepth {
		return
	}
	t, _ := clean(raw)
	candidates := []string{t}
	if x := escapes.Replace(t); x != t {
		candidates = append(candidates, x) // JSON, which clean leaves escaped
	}
	v.texts = append(v.texts, candidates...)
	for _, x := range candidates {
		if !strings.Contains(x, "-----BEGIN ") {
			continue
		}
		blocks, _, err := scanPEM(x)
		if err != nil {
			continue
		}
		for _, b := range blocks {
			if b.label == "EC PARAMETERS" && paramsCurve(b) != nil {
				v.share(b.body) // a curve's name, the same for every key
				continue
			}
			v.addBase64(pemBody(b.body), depth)
		}
	}
	if !strings.Contains(t, "-----") && isBase64Text(t) {
		v.addBase64(compact(t), depth)
	}
}

// addBase64 records a compact base64 blob and what it decodes to.
func (v *variants) addBase64(c string, depth int) {
	if c == "" || strings.Contains(c, "-----") || !isBase64Text(c) {
		return
	}
	v.material = append(v.material, c)
	data, err := decodeBase64(c)
	if err != nil || len(data) == 0 {
		return
	}
	if isText(data) {
		v.collect(string(data), depth+1)
		return
	}
	std := base64.StdEncoding.EncodeToString(data)
	v.material = append(v.material, std)
	v.bodies = append(v.bodies, c)
	if std != c {
		v.bodies = append(v.bodies, std)
	}
	if len(v.ders) < maxDERs {
		v.ders = append(v.ders, data)
	}
}

// share records the lines of a public PEM body, which must not be masked.
func (v *variants) share(body string) {
	if v.shared == nil {
		v.shared = map[string]bool{}
	}
	for _, l := range strings.FieldsFunc(body, isJunk) {
		v.shared[l] = true
	}
	v.shared[compact(body)] = true
}

type secretSet struct {
	material []string
	seen     map[string]bool
	shared   map[string]bool // never registered: not secret
	lines    []string
	checks   int // material look-ups done, bounded by maxMaterialChecks
}

// maxMaterialChecks bounds the search for short lines in the material: a
// real key has at most a few short lines, and a hostile value must not make
// SecretLines quadratic.
const maxMaterialChecks = 64

func (s *secretSet) add(l string) {
	if !s.seen[l] {
		s.seen[l] = true
		s.lines = append(s.lines, l)
	}
}

// addPiece registers a piece of the key's base64 cut out by SecretLines
// itself, which needs no look-up in the material.
func (s *secretSet) addPiece(l string) {
	if len(l) >= minMaterialLine && !s.shared[l] {
		s.add(l)
	}
}

func (s *secretSet) addLine(line string) {
	l := strings.TrimFunc(line, isJunk)
	if l == "" || isArmourLine(l) || s.shared[l] {
		return
	}
	if len(l) < minSecretLine {
		if s.isMaterial(l) {
			s.add(l)
		}
		return
	}
	s.add(l)
	if !strings.ContainsFunc(l, isJunk) {
		return
	}
	// A PEM collapsed onto one line, or a body spaced instead of wrapped:
	// each piece may be logged on its own.
	for _, f := range strings.FieldsFunc(l, isJunk) {
		f = strings.Trim(f, `"'`+"`")
		if !strings.Contains(f, "-----") && !s.shared[f] && isBase64Text(f) && (len(f) >= minSecretLine || s.isMaterial(f)) {
			s.add(f)
		}
	}
}

// isMaterial reports whether a short piece is part of the key's base64.
func (s *secretSet) isMaterial(l string) bool {
	if s.seen[l] {
		return true
	}
	if len(l) < minMaterialLine || !isBase64Text(l) || s.checks >= maxMaterialChecks {
		return false
	}
	s.checks++
	for _, m := range s.material {
		if strings.Contains(m, l) {
			return true
		}
	}
	return false
}

// isArmourLine reports a PEM BEGIN or END line, possibly quoted.
func isArmourLine(l string) bool {
	l = strings.Trim(l, `"'`+"`“”‘’")
	for _, p := range []string{"-----BEGIN ", "-----END "} {
		if rest, ok := strings.CutPrefix(l, p); ok {
			label, ok := strings.CutSuffix(rest, "-----")
			return ok && validLabel(label)
		}
	}
	return false
}
