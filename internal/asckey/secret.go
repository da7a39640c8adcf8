package asckey

import (
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
// Parse accepts: each trimmed line of raw and of its cleaned, unescaped and
// base64-decoded variants, every base64 body on one line, the base64 of
// each DER found, and, when k is not nil (Parse succeeded), the body lines
// of k.PKCS8PEM and the one-line base64 of its PKCS#8 and SEC 1 DER. PEM
// BEGIN/END lines are left out: they are not secret, and masking them would
// garble logs. Lines are unique, in a stable order.
func SecretLines(raw string, k *Key) []string {
	var v variants
	v.collect(raw, 0)
	if k != nil && k.Private != nil {
		if p8, sec1, err := marshalKey(k.Private); err == nil {
			v.material = append(v.material,
				base64.StdEncoding.EncodeToString(p8), base64.StdEncoding.EncodeToString(sec1))
		}
		v.texts = append(v.texts, k.PKCS8PEM)
	}
	s := secretSet{material: v.material, seen: map[string]bool{}}
	for _, t := range v.texts {
		for _, line := range strings.FieldsFunc(t, func(r rune) bool { return r == '\n' || r == '\r' }) {
			s.addLine(line)
		}
	}
	for _, m := range v.material {
		s.addLine(m)
	}
	return s.lines
}

// variants are the texts a value turns into on its way through Parse, and
// the base64 material found in them.
type variants struct {
	texts    []string
	material []string // one-line base64 of key data
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
	v.material = append(v.material, base64.StdEncoding.EncodeToString(data))
}

type secretSet struct {
	material []string
	seen     map[string]bool
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

func (s *secretSet) addLine(line string) {
	l := strings.TrimFunc(line, isJunk)
	if l == "" || isArmourLine(l) {
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
		if !strings.Contains(f, "-----") && isBase64Text(f) && (len(f) >= minSecretLine || s.isMaterial(f)) {
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
