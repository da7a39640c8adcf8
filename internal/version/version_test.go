package version

import (
	"strings"
	"testing"
)

func TestUserAgentNamesVersion(t *testing.T) {
	t.Parallel()

	ua := UserAgent()
	if !strings.HasPrefix(ua, "mos-publisher-keys/"+Version()+" ") {
		t.Errorf("UserAgent() = %q, want it to start with the product and version %q", ua, Version())
	}
	if Version() == "" {
		t.Error("Version() is empty")
	}
}
