package asckey

import (
	"crypto/ecdsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/fingerprint"
)

// Key is an App Store Connect API key, normalised.
type Key struct {
	Private *ecdsa.PrivateKey
	// PKCS8PEM is "-----BEGIN PRIVATE KEY-----\n", 64-character base64
	// lines, "-----END PRIVATE KEY-----\n"; LF only. Its DER has the layout
	// of the .p8 files App Store Connect hands out.
	PKCS8PEM string
	// Fingerprint is "SHA256:" + unpadded base64 of the SHA-256 of the
	// public key's DER SubjectPublicKeyInfo; see fingerprint.Of.
	Fingerprint string
	// Form describes, without any secret content, the encoding the key was
	// found in, e.g. "PEM (PKCS#8)" or "base64 of the .p8 file, line-wrapped".
	Form string
}

const (
	// maxInput bounds the work done on untrusted input; a .p8 is ~250 bytes.
	maxInput = 64 << 10
	// maxDepth bounds nested base64 (base64 of base64 of a .p8 ...).
	maxDepth = 3
)

// Parse reads an App Store Connect key in any of the forms people paste
// into secrets: the PEM as downloaded (with CRLF, a BOM, quotes, blank
// lines, literal \n escapes, or collapsed onto one line), base64 of the
// file, the base64 body alone, or the SEC 1 "EC PRIVATE KEY" form. Any
// other value is rejected with an *IntakeError.
func Parse(raw string) (*Key, error) {
	if len(raw) > maxInput {
		return nil, errTooLarge(len(raw))
	}
	f, err := parseText(raw, 0)
	if err != nil {
		return nil, err
	}
	return f.key()
}

// found is a key before normalisation, with what it was wrapped in.
type found struct {
	priv   *ecdsa.PrivateKey
	kind   derKind
	pem    bool // inside PEM armour
	layers int  // base64 layers around the PEM or the DER
	notes  []string
}

func (f *found) key() (*Key, error) {
	p8, _, err := marshalKey(f.priv)
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint.Of(&f.priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Key{
		Private:     f.priv,
		PKCS8PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})),
		Fingerprint: fp,
		Form:        f.form(),
	}, nil
}

func (f *found) form() string {
	var core string
	pkcs8 := f.kind == kindPKCS8
	switch {
	case f.pem && f.layers == 0 && pkcs8:
		core = "PEM (PKCS#8)"
	case f.pem && f.layers == 0:
		core = "SEC1 EC PRIVATE KEY PEM"
	case f.pem && pkcs8:
		core = "base64 of the .p8 file"
	case f.pem:
		core = "base64 of a SEC1 EC PRIVATE KEY PEM"
	case pkcs8:
		core = "base64 body without BEGIN/END lines"
	default:
		core = "base64 SEC1 body without BEGIN/END lines"
	}
	if f.layers > 1 {
		core = strings.Repeat("base64 of ", f.layers-1) + core
	}
	var notes []string
	seen := map[string]bool{}
	for _, n := range f.notes {
		if !seen[n] {
			seen[n] = true
			notes = append(notes, n)
		}
	}
	if len(notes) == 0 {
		return core
	}
	return core + ", " + strings.Join(notes, ", ")
}

func parseText(raw string, depth int) (*found, error) {
	t, notes := clean(raw)
	switch {
	case t == "" && depth == 0:
		return nil, errEmpty()
	case t == "":
		return nil, errUnrecognised("base64 that decodes to nothing")
	case t[0] == '{':
		return nil, classifyJSON(t)
	case strings.Contains(t, "-----BEGIN "):
		return parsePEM(t, notes)
	case strings.Contains(t, "-----END "):
		return nil, errCorrupt("a PEM END line without its BEGIN line: the start of the key is missing")
	}
	if err := recogniseOther(t); err != nil {
		return nil, err
	}
	if isBase64Text(t) && isBase64Layout(t) {
		return parseBase64(t, notes, depth)
	}
	return nil, errUnrecognised("text that is neither a PEM key nor base64")
}

// escapes expands the literal escapes of a key pasted from JSON, YAML or a
// shell string. Backslashes never occur in PEM or base64, so this cannot
// damage a key.
var escapes = strings.NewReplacer(`\\r\\n`, "\n", `\\n`, "\n", `\r\n`, "\n", `\n`, "\n", `\r`, "\n")

// clean undoes what happens to a value on its way into a secret, noting
// each step for Key.Form.
func clean(s string) (string, []string) {
	var notes []string
	s = unwrap(s, &notes)
	if strings.HasPrefix(s, "{") {
		return s, notes // JSON keeps its escapes
	}
	if strings.Contains(s, `\`) {
		switch {
		case strings.Contains(s, `\r\n`):
			notes = append(notes, `with literal \r\n escapes`)
		case strings.Contains(s, `\n`):
			notes = append(notes, `with literal \n escapes`)
		}
		s = unwrap(escapes.Replace(s), &notes)
	}
	if strings.ContainsRune(s, '\r') {
		notes = append(notes, "with CRLF line endings")
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return s, notes
}

// unwrap trims whitespace, byte order marks and surrounding quotes.
func unwrap(s string, notes *[]string) string {
	for range 4 {
		before := s
		lead := s[:len(s)-len(strings.TrimLeftFunc(s, isJunk))]
		if strings.ContainsRune(lead, '\ufeff') {
			*notes = append(*notes, "with a byte order mark")
		}
		s = strings.TrimFunc(s, isJunk)
		if inner, ok := unquote(s); ok {
			*notes = append(*notes, "in quotes")
			s = inner
		}
		if s == before {
			break
		}
	}
	return s
}

var quotePairs = map[rune]rune{'"': '"', '\'': '\'', '`': '`', '“': '”', '‘': '’'}

func unquote(s string) (string, bool) {
	open, n := utf8.DecodeRuneInString(s)
	want, ok := quotePairs[open]
	if !ok || len(s) < 2*n {
		return s, false
	}
	last, m := utf8.DecodeLastRuneInString(s[n:])
	if last != want || m == 0 {
		return s, false
	}
	return s[n : len(s)-m], true
}

// isJunk reports runes that carry no key material: whitespace, BOM, ZWSP.
func isJunk(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' }

func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if isJunk(r) {
			return -1
		}
		return r
	}, s)
}

func isBase64Char(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
		r == '+' || r == '/' || r == '-' || r == '_' || r == '='
}

// isBase64Text reports whether t is base64 (standard or URL alphabet),
// possibly wrapped or spaced.
func isBase64Text(t string) bool {
	seen := false
	for _, r := range t {
		switch {
		case isBase64Char(r):
			seen = true
		case isJunk(r):
		default:
			return false
		}
	}
	return seen
}

// isBase64Layout tells wrapped or spaced base64 from words: every piece
// but the last is long, as base64 lines are.
func isBase64Layout(t string) bool {
	f := strings.FieldsFunc(t, isJunk)
	for _, p := range f[:len(f)-1] {
		if len(p) < 16 {
			return false
		}
	}
	return true
}

// isText reports whether decoded bytes are text (a PEM, JSON, base64)
// rather than DER.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && !isJunk(r) {
			return false
		}
	}
	return true
}

// decodeBase64 decodes compact base64 in either alphabet, padded or not.
// Its errors give positions, never content.
func decodeBase64(c string) ([]byte, error) {
	if len(c)%4 == 1 {
		return nil, errCorrupt(fmt.Sprintf("base64 of %d characters, which is one too many or three too few", len(c)))
	}
	if i := strings.IndexByte(c, '='); i >= 0 && strings.TrimRight(c[i:], "=") != "" {
		return nil, errCorrupt(fmt.Sprintf("base64 with padding in the middle, at character %d (pieces pasted together?)", i+1))
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(c, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(c, "=") && len(c)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b, err := enc.DecodeString(c)
	if err != nil {
		var off base64.CorruptInputError
		if errors.As(err, &off) {
			return nil, errCorrupt(fmt.Sprintf("base64 that is not valid at character %d", int64(off)+1))
		}
		return nil, errCorrupt("base64 that is not valid")
	}
	return b, nil
}

func parseBase64(t string, notes []string, depth int) (*found, error) {
	if strings.Contains(t, "\n") {
		notes = append(notes, "line-wrapped")
	}
	data, err := decodeBase64(compact(t))
	if err != nil {
		return nil, err
	}
	if isText(data) {
		if depth >= maxDepth {
			return nil, errUnrecognised("base64 nested more than three levels deep")
		}
		f, err := parseText(string(data), depth+1)
		if err != nil {
			return nil, err
		}
		f.layers++
		f.notes = append(notes, f.notes...)
		return f, nil
	}
	if data[0] != 0x30 {
		return nil, errUnrecognised("base64 that decodes to binary data that is not a key")
	}
	priv, kind, err := parseDER(data, nil)
	if err != nil {
		return nil, err
	}
	return &found{priv: priv, kind: kind, layers: 1, notes: notes}, nil
}

func parsePEM(t string, notes []string) (*found, error) {
	blocks, outside, err := scanPEM(t)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(t, "\n") {
		notes = append(notes, "collapsed onto one line")
	}
	if outside {
		notes = append(notes, "with other text around it")
	}
	privs, other, params := sortBlocks(blocks)
	switch {
	case len(privs) > 1:
		return nil, errMultipleKeys(len(privs))
	case len(privs) == 0:
		return nil, noPrivateKey(other, params != nil)
	}
	der, err := privateDER(privs[0])
	if err != nil {
		return nil, err
	}
	var hint asn1.ObjectIdentifier
	if params != nil {
		hint = paramsCurve(*params)
	}
	priv, kind, err := parseDER(der, hint)
	if err != nil {
		return nil, err
	}
	if params != nil {
		notes = append(notes, "with an EC PARAMETERS block")
	}
	return &found{priv: priv, kind: kind, pem: true, notes: notes}, nil
}

// sortBlocks sorts PEM blocks into private keys, the first block of any
// other type, and the last EC PARAMETERS block.
func sortBlocks(blocks []pemBlock) (privs []pemBlock, other, params *pemBlock) {
	for i, b := range blocks {
		switch {
		case isPrivateLabel(b.label):
			privs = append(privs, b)
		case b.label == "EC PARAMETERS":
			params = &blocks[i]
		case other == nil:
			other = &blocks[i]
		}
	}
	return privs, other, params
}

// noPrivateKey says what PEM without a private key holds instead.
func noPrivateKey(other *pemBlock, hasParams bool) error {
	switch {
	case other != nil && publicKeyLabels[other.label]:
		return errPublicKey(article(other.label) + " " + other.label)
	case other != nil && certificateLabels[other.label] != "":
		kind := "certificate"
		if strings.Contains(other.label, "REQUEST") {
			kind = "certificate request"
		}
		return errCertificate(kind, certificateLabels[other.label])
	case other != nil:
		return errUnrecognised("a PEM block of a type the action does not know")
	case hasParams:
		return errCorrupt("EC PARAMETERS without the EC PRIVATE KEY block that should follow them")
	}
	return errUnrecognised("PEM armour without a key")
}

// privateDER returns the DER of a private key block, when its label is one
// of the two an App Store Connect key comes in and its body is whole.
func privateDER(b pemBlock) ([]byte, error) {
	switch {
	case b.label == "ENCRYPTED PRIVATE KEY":
		return nil, errEncrypted("an ENCRYPTED PRIVATE KEY")
	case b.encrypted:
		return nil, errEncrypted("a private key encrypted with a passphrase (Proc-Type: 4,ENCRYPTED)")
	case b.label == "RSA PRIVATE KEY":
		return nil, errRSA()
	case b.label == "DSA PRIVATE KEY":
		return nil, errOtherKeyType("DSA")
	case b.label == "OPENSSH PRIVATE KEY":
		return nil, errOtherKeyType("OpenSSH")
	case b.label != "PRIVATE KEY" && b.label != "EC PRIVATE KEY":
		return nil, errUnrecognised("a PEM private key of a type the action does not know")
	case !b.complete:
		return nil, errCorrupt("a PEM " + b.label + " block whose END line is missing")
	}
	body := pemBody(b.body)
	switch {
	case body == "":
		return nil, errCorrupt("a PEM " + b.label + " block with nothing in it")
	case !isBase64Text(body):
		return nil, errCorrupt("a PEM " + b.label + " block whose body is not base64")
	}
	return decodeBase64(body)
}

// paramsCurve reads the named curve of an EC PARAMETERS block, nil if none.
func paramsCurve(b pemBlock) asn1.ObjectIdentifier {
	body := pemBody(b.body)
	if !b.complete || !isBase64Text(body) {
		return nil
	}
	der, err := decodeBase64(body)
	if err != nil {
		return nil
	}
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(der, &oid); err != nil || len(rest) > 0 {
		return nil
	}
	return oid
}

func classifyJSON(t string) error {
	var m map[string]any
	if err := json.Unmarshal([]byte(t), &m); err != nil {
		if strings.Contains(t, `"service_account"`) ||
			strings.Contains(t, `"client_email"`) && strings.Contains(t, `"private_key`) {
			return errServiceAccount()
		}
		return errUnrecognised("text that starts like JSON but is not valid JSON")
	}
	_, email := m["client_email"]
	_, pk := m["private_key"]
	if m["type"] == "service_account" || email && pk {
		return errServiceAccount()
	}
	_, keyID := m["key_id"]
	_, key := m["key"]
	if keyID && key {
		return errFastlaneJSON()
	}
	return errUnrecognised("JSON that holds no App Store Connect key")
}

// recogniseOther names values that are clearly something else than a key,
// so that the caller can say where they belong.
func recogniseOther(t string) error {
	switch {
	case isUUID(t):
		return errFound(ReasonIssuerIDAsKey, "a UUID, which looks like the Issuer ID rather than the key")
	case isKeyID(t):
		return errFound(ReasonKeyIDAsKey, "a 10-character ID, which looks like a Key ID rather than the key")
	case len(t) < 256 && !strings.Contains(t, "\n") && strings.HasSuffix(strings.ToLower(t), ".p8"):
		return errFound(ReasonFileName, "a file name rather than the key")
	case strings.HasPrefix(t, "ssh-") || strings.HasPrefix(t, "ecdsa-sha2-"):
		return errPublicKey("an SSH public key")
	case strings.HasPrefix(t, "PuTTY-User-Key-File"):
		return errOtherKeyType("PuTTY")
	}
	return nil
}
