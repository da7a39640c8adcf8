package asckey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/asckey"
)

func TestCheckKeyID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		id         string
		wantReason asckey.Reason
		wantTitle  string // "" = valid
		wantInMsg  string
	}{
		{"2X9R4HXF34", "", "", ""},
		{"ABCDE12345", "", "", ""},
		{"", asckey.ReasonNoKeyID, "App Store Connect Key ID is missing", "10-character Key ID"},
		{"2x9r4hxf34", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", `"2x9r4hxf34" contains lower-case letters`},
		{"2X9R4HXF3", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", "is 9 characters long"},
		{"2X9R4HXF345", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", "is 11 characters long"},
		{"2X9R4-XF34", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", "characters other than A–Z and 0–9"},
		{"2X9R4HXF34\n", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", "spaces or line breaks around it"},
		{"57246542-96fe-1a63-e053-0824d011072a", asckey.ReasonKeyIDIsUUID, "Key ID looks like an Issuer ID", "this looks like the Issuer ID; the Key ID is the 10-character ID next to the key"},
		{"57246542-96FE-1A63-E053-0824D011072A", asckey.ReasonKeyIDIsUUID, "Key ID looks like an Issuer ID", "looks like the Issuer ID"},
		// A long wrong value may be a secret in the wrong input: never quoted.
		{"MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg", asckey.ReasonKeyID, "App Store Connect Key ID is invalid", "is 48 characters long"},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			checkIDError(t, asckey.CheckKeyID(tc.id), tc.wantReason, tc.wantTitle, tc.wantInMsg)
			if len(tc.id) > 16 {
				if _, msg := action.Explain(asckey.CheckKeyID(tc.id)); strings.Contains(msg, tc.id) {
					t.Error("long value quoted in the error")
				}
			}
		})
	}
}

func TestCheckIssuerID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, id   string
		wantReason asckey.Reason
		wantTitle  string
		wantInMsg  string
	}{
		{"UUID", "57246542-96fe-1a63-e053-0824d011072a", "", "", ""},
		{"upper-case UUID", "57246542-96FE-1A63-E053-0824D011072A", "", "", ""},
		{"empty", "", asckey.ReasonNoIssuerID, "App Store Connect Issuer ID is missing", "mos. supports App Store Connect team keys only, which need the Issuer ID shown above the Team Keys list"},
		{"Team ID", "A1B2C3D4E5", asckey.ReasonIssuerIDTeamID, "Issuer ID looks like a Team ID", "this looks like a Team ID (or Key ID), not the Issuer ID"},
		{"no dashes", "5724654296fe1a63e0530824d011072a", asckey.ReasonIssuerIDHex, "App Store Connect Issuer ID is invalid", "without dashes"},
		{"whitespace", " 57246542-96fe-1a63-e053-0824d011072a\n", asckey.ReasonIssuerIDSpaced, "App Store Connect Issuer ID is invalid", "spaces or line breaks"},
		{"not hex", "57246542-96fe-1a63-e053-0824d011072z", asckey.ReasonIssuerID, "App Store Connect Issuer ID is invalid", "(36 characters) is not a UUID"},
		{"braces", "{57246542-96fe-1a63-e053-0824d011072a}", asckey.ReasonIssuerID, "App Store Connect Issuer ID is invalid", "not a UUID"},
		{"a token", "ghp_0123456789abcdefghijABCDEFGHIJ012345", asckey.ReasonIssuerID, "App Store Connect Issuer ID is invalid", "(40 characters)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := asckey.CheckIssuerID(tc.id)
			checkIDError(t, err, tc.wantReason, tc.wantTitle, tc.wantInMsg)
			if err == nil {
				return
			}
			if _, msg := action.Explain(err); tc.id != "" && strings.Contains(err.Error()+msg, strings.TrimSpace(tc.id)) {
				t.Error("Issuer ID error quotes the value")
			}
		})
	}
}

func TestCheckSwapped(t *testing.T) {
	t.Parallel()
	const uuid, keyID = "57246542-96fe-1a63-e053-0824d011072a", "2X9R4HXF34"
	cases := []struct {
		name, keyID, issuerID string
		wantTitle             string // "" = not swapped
	}{
		{"right way round", keyID, uuid, ""},
		{"swapped", uuid, keyID, "Key ID and Issuer ID swapped"},
		{"swapped with spaces", " " + uuid + "\n", keyID + " ", "Key ID and Issuer ID swapped"},
		{"UUID twice", uuid, uuid, ""},
		{"Key ID twice", keyID, keyID, ""},
		{"UUID and nothing", uuid, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkIDError(t, asckey.CheckSwapped(tc.keyID, tc.issuerID), asckey.ReasonSwapped, tc.wantTitle, "the two look swapped")
		})
	}
}

func checkIDError(t *testing.T, err error, reason asckey.Reason, title, inMsg string) {
	t.Helper()
	if title == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ie *asckey.IntakeError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T %v, want *asckey.IntakeError", err, err)
	}
	gotTitle, msg := action.Explain(err)
	if ie.Reason != reason || gotTitle != title {
		t.Errorf("got %s %q, want %s %q", ie.Reason, gotTitle, reason, title)
	}
	if !strings.Contains(msg, inMsg) {
		t.Errorf("message %q does not contain %q", msg, inMsg)
	}
}

func TestKeyIDFromFileName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path   string
		want   string
		wantOK bool
	}{
		{"AuthKey_ABCDE12345.p8", "ABCDE12345", true},
		{"/github/workspace/secrets/AuthKey_2X9R4HXF34.p8", "2X9R4HXF34", true},
		{`C:\Users\me\Downloads\AuthKey_2X9R4HXF34.p8`, "2X9R4HXF34", true},
		{"AuthKey_2X9R4HXF34 (1).p8", "2X9R4HXF34", true},
		{"AuthKey_2x9r4hxf34.p8", "", false},
		{"AuthKey_2X9R4HXF3.p8", "", false},
		{"AuthKey_2X9R4HXF34.p8.txt", "", false},
		{"AuthKey_2X9R4HXF34.pem", "", false},
		{"key.p8", "", false},
		{"AuthKey_2X9R4HXF34.p8/", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			got, ok := asckey.KeyIDFromFileName(tc.path)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("asckey.KeyIDFromFileName(%q) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
