package appstore

import (
	"context"
	"errors"
	"testing"
)

// TestAuthenticated pins which answers to the individual key's token prove
// that App Store Connect took it.
func TestAuthenticated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"200", nil, true},
		{"200 with a body not as expected", &ResponseError{Status: 200, Problem: "a body that is not the expected JSON"}, true},
		{"403 role", &APIError{Status: 403}, true},
		{"403 agreement", &AgreementError{API: &APIError{Status: 403}}, true},
		{"404", &APIError{Status: 404}, true},
		{"401", &APIError{Status: 401}, false},
		{"429", &APIError{Status: 429}, false},
		{"503", &APIError{Status: 503}, false},
		{"307", &APIError{Status: 307}, false},
		{"no answer", &NetworkError{Host: "h", Err: context.DeadlineExceeded}, false},
		{"other", errors.New("x"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := authenticated(tc.err); got != tc.want {
				t.Errorf("authenticated(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
