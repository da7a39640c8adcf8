package playkey

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/fingerprint"
	"github.com/mos-tools/publisher-keys/internal/httpx"
)

// Google's token endpoints. A key file names one of them in token_uri.
const (
	GoogleTokenURI = "https://oauth2.googleapis.com/token"
	LegacyTokenURI = "https://accounts.google.com/o/oauth2/token"
)

// maxInput bounds what Parse looks at: a key file is about 2.4 KB, so 64 KiB
// leaves room for every encoding people use and nothing else.
const maxInput = 64 << 10

// maxLayers bounds how many wrappings (base64, JSON string, quotes) are taken off.
const maxLayers = 6

// Key is a service-account key that passed the local checks.
type Key struct {
	ClientEmail  string // the service account, e.g. publisher@project.iam.gserviceaccount.com
	PrivateKeyID string // the key's ID in Google Cloud (an identifier, not a secret)
	ProjectID    string // the Cloud project the account belongs to; may be empty
	TokenURI     string // the token endpoint, checked to be Google's or loopback
	// CertURL is client_x509_cert_url as given, trimmed; empty when absent.
	// It is not vetted here: package play requests it only when it is
	// Google's certificate list of ClientEmail or a loopback URL.
	CertURL string
	Private *rsa.PrivateKey
	// JSON is the canonical key file to upload: the fields as given, in the
	// order Google writes them, with private_key as a PKCS#8 PEM with LF line
	// ends, two-space indent and a final newline. The same for every encoding
	// of one key file. It is secret.
	JSON []byte
	// Fingerprint is "SHA256:" + unpadded base64 of SHA-256 over the DER
	// SubjectPublicKeyInfo of the public key, the same form as for Apple keys.
	Fingerprint string
	// Form says which encoding was found, e.g. "base64 of JSON" or
	// "JSON; private_key with literal \n escapes". It holds no key material.
	Form string
}

// Parse reads a service-account key as people store it in secrets: the JSON
// file, base64 of it (one line or wrapped, standard or URL alphabet, padded
// or not), the JSON wrapped in a JSON string, with a byte-order mark,
// surrounding quotes or blank lines. It returns an *IntakeError when the key
// cannot be used; the error never quotes the input.
func Parse(raw string) (*Key, error) {
	if len(raw) > maxInput {
		return nil, intakeErr(KindTooLarge, fmt.Sprintf(
			"the Play service-account key is %d bytes, far more than a key file (about 2.4 KB)", len(raw)))
	}
	doc, form, err := unwrap(raw)
	if err != nil {
		return nil, err
	}
	fields, repaired, err := decodeObject(doc)
	if err != nil {
		return nil, err
	}
	var notes []string
	if repaired {
		notes = append(notes, "raw line breaks inside JSON strings")
	}
	f, err := readFields(fields)
	if err != nil {
		return nil, err
	}
	priv, keyNotes, err := parsePrivateKey(f.PrivateKey)
	if err != nil {
		return nil, err
	}
	notes = append(notes, keyNotes...)
	tokenURI, err := checkTokenURI(f.TokenURI)
	if err != nil {
		return nil, err
	}
	pemText, err := encodePKCS8(priv)
	if err != nil {
		return nil, err
	}
	canon, err := canonical(fields, pemText)
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint.Of(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("failed to fingerprint the key: %w", err)
	}
	if len(notes) > 0 {
		form += "; " + strings.Join(notes, "; ")
	}
	return &Key{
		ClientEmail:  f.ClientEmail,
		PrivateKeyID: f.PrivateKeyID,
		ProjectID:    f.ProjectID,
		TokenURI:     tokenURI,
		CertURL:      f.CertURL,
		Private:      priv,
		JSON:         canon,
		Fingerprint:  fp,
		Form:         form,
	}, nil
}

// unwrap takes off base64, JSON-string and quote wrappings until a JSON
// object is left, and describes what it took off.
func unwrap(raw string) (doc, form string, err error) {
	var wraps []string // outermost first
	var bom bool
	s := raw
	for depth := 0; ; depth++ {
		if depth > maxLayers {
			return "", "", causeErr(KindNotJSON, CauseLayers,
				"the Play service-account key is wrapped in too many layers of encoding to be a key file")
		}
		s = strings.TrimSpace(s)
		for strings.HasPrefix(s, "\uFEFF") {
			bom = true
			s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
		}
		if s == "" {
			if depth == 0 {
				return "", "", intakeErr(KindEmpty, "the Play service-account key is empty")
			}
			return "", "", causeErr(KindNotJSON, CauseNothing, "the Play service-account key decodes to nothing")
		}
		switch {
		case s[0] == '{':
			return s, describeForm(wraps, bom), nil
		case s[0] == '"':
			var inner string
			if json.Unmarshal([]byte(s), &inner) == nil {
				wraps = append(wraps, "json-string")
				s = inner
				continue
			}
			if len(s) >= 2 && s[len(s)-1] == '"' {
				wraps = append(wraps, "quotes")
				s = s[1 : len(s)-1]
				continue
			}
		case s[0] == '\'' && len(s) >= 2 && s[len(s)-1] == '\'':
			wraps = append(wraps, "quotes")
			s = s[1 : len(s)-1]
			continue
		}
		if strings.Contains(s, "-----BEGIN") {
			return "", "", pemInsteadOfJSON(s)
		}
		b, how, ok := decodeBase64(s)
		if !ok {
			return "", "", intakeErr(KindNotJSON, "the Play service-account key is neither JSON nor base64 of JSON")
		}
		if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return "", "", binaryInsteadOfJSON(b)
		}
		wraps = append(wraps, how)
		s = string(b)
	}
}

func describeForm(wraps []string, bom bool) string {
	form := "JSON"
	for i := len(wraps) - 1; i >= 0; i-- {
		switch w := wraps[i]; w {
		case "json-string":
			form = "JSON string of " + form
		case "quotes":
			form = "quoted " + form
		default:
			form = w + " of " + form
		}
	}
	if bom {
		form += "; with a byte-order mark"
	}
	return form
}

var base64Noise = regexp.MustCompile(`\s+|\\[nrt]`)

// decodeBase64 decodes s as standard or URL-safe base64, padded or not,
// ignoring line breaks (also written as \n escapes).
func decodeBase64(s string) ([]byte, string, bool) {
	compact := base64Noise.ReplaceAllString(s, "")
	if len(compact) < 4 {
		return nil, "", false
	}
	wrapped := strings.ContainsAny(strings.TrimSpace(s), "\n\r") || strings.Contains(s, `\n`)
	name := "base64"
	encs := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding}
	if strings.ContainsAny(compact, "-_") {
		name = "base64url"
		encs = []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding}
	}
	if wrapped {
		name += " (line-wrapped)"
	}
	for _, enc := range encs {
		if b, err := enc.DecodeString(compact); err == nil && len(b) > 0 {
			return b, name, true
		}
	}
	return nil, "", false
}

// pemInsteadOfJSON explains a PEM block given where the JSON file belongs.
func pemInsteadOfJSON(s string) error {
	_, _, err := parsePrivateKey(s)
	var ie *IntakeError
	switch {
	case errors.As(err, &ie) && ie.Kind == KindASCKey:
		return ascKeyError()
	case err == nil, errors.As(err, &ie) && ie.Kind == KindEncrypted:
		return bareKeyError()
	case strings.Contains(s, "CERTIFICATE") || strings.Contains(s, "PUBLIC KEY"):
		return causeErr(KindNotJSON, CauseCertPEM,
			"the Play service-account key holds a certificate or public key, not the service account's JSON key file")
	}
	return causeErr(KindNotJSON, CausePEM, "the Play service-account key is a PEM block, not the service account's JSON key file")
}

// binaryInsteadOfJSON explains base64 that decodes to binary: often the DER
// body of a private key.
func binaryInsteadOfJSON(der []byte) error {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if _, ok := k.(*rsa.PrivateKey); ok {
			return bareKeyError()
		}
		return ascKeyError()
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return ascKeyError()
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return bareKeyError()
	}
	return intakeErr(KindNotJSON, "the Play service-account key is neither JSON nor base64 of a JSON key file")
}

func ascKeyError() *IntakeError {
	return intakeErr(KindASCKey,
		"this is an App Store Connect API key (.p8, an EC P-256 private key), not a Google Play service-account key")
}

func bareKeyError() *IntakeError {
	return intakeErr(KindBareKey, "this is a bare private key, not the service account's JSON key file")
}

// decodeObject decodes a JSON object into its raw fields. A JSON text whose
// strings hold raw line breaks (a file passed through a tool that expanded
// the \n escapes) is repaired.
func decodeObject(doc string) (map[string]json.RawMessage, bool, error) {
	var fields map[string]json.RawMessage
	err := json.Unmarshal([]byte(doc), &fields)
	if err == nil {
		return fields, false, nil
	}
	if fixed, ok := escapeControlInStrings(doc); ok {
		fields = nil
		if json.Unmarshal([]byte(fixed), &fields) == nil {
			return fields, true, nil
		}
	}
	what := "has a syntax error"
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(doc)):
		what = "is cut short"
	case errors.As(err, &syn) && syn.Offset > 0 && doc[syn.Offset-1] == '\\':
		// A backslash outside any string: the file's line breaks (or quotes)
		// were written as \n (or \") escapes, the whole file escaped once more.
		what = fmt.Sprintf(`has \n or \" escapes outside its strings (at byte %d): the whole file was escaped once more (doubled \n) on its way into the secret`, syn.Offset)
	case errors.As(err, &syn):
		what = fmt.Sprintf("has a syntax error at byte %d", syn.Offset)
	}
	return nil, false, causeErr(KindNotJSON, CauseSyntax, "the Play service-account key starts like JSON but "+what)
}

// escapeControlInStrings escapes raw control characters inside JSON string
// literals. It reports false when there were none.
func escapeControlInStrings(doc string) (string, bool) {
	var b strings.Builder
	inString, escaped, changed := false, false, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case c == '\n':
			b.WriteString(`\n`)
			changed = true
			continue
		case c == '\r':
			changed = true
			continue
		case c == '\t':
			b.WriteString(`\t`)
			changed = true
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), changed
}

// file holds the fields of a key file that matter here.
type file struct {
	Type, ProjectID, PrivateKeyID, PrivateKey, ClientEmail, TokenURI, CertURL string
}

// order is the order in which Google writes the fields of a key file.
var order = []string{
	"type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
	"auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url", "universe_domain",
}

var (
	emailRe = regexp.MustCompile(`^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,189}$`)
	keyIDRe = regexp.MustCompile(`^[A-Za-z0-9._\-]{1,128}$`)
	projRe  = regexp.MustCompile(`^[A-Za-z0-9.:_\-]{1,128}$`)
)

func readFields(fields map[string]json.RawMessage) (file, error) {
	str := func(name string) (string, error) {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", intakeErr(KindBadField, fmt.Sprintf(
				"field %s of the Play service-account key is not a string", name))
		}
		return v, nil
	}
	var f file
	var err error
	for _, p := range []struct {
		name string
		dst  *string
	}{
		{"type", &f.Type}, {"project_id", &f.ProjectID}, {"private_key_id", &f.PrivateKeyID},
		{"private_key", &f.PrivateKey}, {"client_email", &f.ClientEmail}, {"token_uri", &f.TokenURI},
	} {
		if *p.dst, err = str(p.name); err != nil {
			return file{}, err
		}
	}
	// Only the key's lifetime depends on client_x509_cert_url: a value that
	// is not a string leaves it unknown rather than refusing the key.
	if raw, ok := fields["client_x509_cert_url"]; ok {
		_ = json.Unmarshal(raw, &f.CertURL)
	}
	if err := checkType(fields, f.Type); err != nil {
		return file{}, err
	}
	var missing []string
	for _, p := range []struct{ name, v string }{
		{"client_email", f.ClientEmail}, {"private_key_id", f.PrivateKeyID}, {"private_key", f.PrivateKey},
	} {
		if strings.TrimSpace(p.v) == "" {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return file{}, intakeErr(KindMissingField,
			"the Play service-account key has no "+strings.Join(missing, ", "))
	}
	f.ClientEmail = strings.TrimSpace(f.ClientEmail)
	f.PrivateKeyID = strings.TrimSpace(f.PrivateKeyID)
	f.ProjectID = strings.TrimSpace(f.ProjectID)
	f.TokenURI = strings.TrimSpace(f.TokenURI)
	f.CertURL = strings.TrimSpace(f.CertURL)
	switch {
	case !emailRe.MatchString(f.ClientEmail):
		return file{}, intakeErr(KindBadField,
			"field client_email of the Play service-account key is not an e-mail address")
	case !keyIDRe.MatchString(f.PrivateKeyID):
		return file{}, intakeErr(KindBadField,
			"field private_key_id of the Play service-account key is not a key ID (Google writes 40 hexadecimal digits)")
	case f.ProjectID != "" && !projRe.MatchString(f.ProjectID):
		return file{}, intakeErr(KindBadField,
			"field project_id of the Play service-account key is not a Cloud project ID")
	}
	return f, nil
}

func checkType(fields map[string]json.RawMessage, typ string) error {
	switch typ {
	case "service_account":
		return nil
	case "authorized_user":
		return intakeErr(KindWrongType, "this JSON holds user credentials (type authorized_user, as written by gcloud auth application-default login), not a service-account key")
	case "external_account", "external_account_authorized_user":
		return intakeErr(KindWrongType, "this JSON is a workload identity federation configuration (type "+typ+"), which holds no private key")
	case "impersonated_service_account":
		return intakeErr(KindWrongType, "this JSON describes service-account impersonation (type impersonated_service_account), not a service-account key")
	case "":
		if _, ok := fields["installed"]; ok {
			return intakeErr(KindWrongType, "this JSON is an OAuth client ID file (client_secret.json), not a service-account key")
		}
		if _, ok := fields["web"]; ok {
			return intakeErr(KindWrongType, "this JSON is an OAuth client ID file (client_secret.json), not a service-account key")
		}
		return causeErr(KindMissingField, CauseNoType, "the Play service-account key has no type field; a key file says \"type\": \"service_account\"")
	}
	return intakeErr(KindWrongType, "this JSON's type is not service_account, so it is not a service-account key")
}

// checkTokenURI allows Google's token endpoints and loopback URLs only: the
// action sends a signed assertion to token_uri, so a crafted key file must
// not be able to point it anywhere else.
func checkTokenURI(s string) (string, error) {
	if s == "" {
		return GoogleTokenURI, nil
	}
	if s == GoogleTokenURI || s == LegacyTokenURI {
		return s, nil
	}
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.User == nil &&
		u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" && u.Opaque == "" &&
		u.Host != "" && httpx.IsLoopbackHost(u.Hostname()) {
		return s, nil
	}
	where := "another place"
	if err == nil && hostRe.MatchString(u.Host) {
		where = u.Host
	}
	return "", intakeErr(KindTokenURI, fmt.Sprintf(
		"field token_uri of the Play service-account key points to %s instead of %s", where, GoogleTokenURI))
}

// ValidClientEmail reports whether s has the shape accepted as client_email.
func ValidClientEmail(s string) bool { return emailRe.MatchString(s) }

// ValidPrivateKeyID reports whether s has the shape accepted as
// private_key_id.
func ValidPrivateKeyID(s string) bool { return keyIDRe.MatchString(s) }

var hostRe = regexp.MustCompile(`^[A-Za-z0-9.\-:\[\]]{1,100}$`)

// canonical writes the key file in Google's field order, with the
// normalised private key; fields it does not know follow in name order.
func canonical(fields map[string]json.RawMessage, privPEM string) ([]byte, error) {
	var names []string
	for _, n := range order {
		if _, ok := fields[n]; ok {
			names = append(names, n)
		}
	}
	var extra []string
	for n := range fields {
		if !slices.Contains(order, n) {
			extra = append(extra, n)
		}
	}
	slices.Sort(extra)
	names = append(names, extra...)

	var b bytes.Buffer
	b.WriteString("{\n")
	for i, n := range names {
		b.WriteString("  ")
		b.Write(marshalString(n))
		b.WriteString(": ")
		raw := fields[n]
		var s string
		switch {
		case n == "private_key":
			b.Write(marshalString(privPEM))
		case slices.Contains(order, n) && json.Unmarshal(raw, &s) == nil:
			b.Write(marshalString(s))
		default:
			if err := json.Indent(&b, raw, "  ", "  "); err != nil {
				return nil, errors.New("failed to re-indent a field of the key file")
			}
		}
		if i < len(names)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

func marshalString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func jsonString(s string, dst *string) bool {
	return json.Unmarshal([]byte(s), dst) == nil
}
