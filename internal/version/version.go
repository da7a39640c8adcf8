// Package version reports the version of the action binary, for the start-up
// line and the User-Agent sent to every service.
package version

import (
	"runtime/debug"
	"sync"
)

// version is set at build time with
// -ldflags "-X github.com/mos-tools/publisher-keys/internal/version.version=v1.2.3".
var version string

var fallback = sync.OnceValue(func() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
})

// Version returns the release version, the module version from the build
// information when installed with go install, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	return fallback()
}

// UserAgent is the User-Agent header of every request the action sends, so
// service operators can tell which release talked to them.
func UserAgent() string {
	return "mos-publisher-keys/" + Version() + " (+https://github.com/mos-tools/publisher-keys)"
}
