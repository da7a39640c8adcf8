package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mos-tools/publisher-keys/internal/asckey"
	"github.com/mos-tools/publisher-keys/internal/ghout"
	"github.com/mos-tools/publisher-keys/internal/keysync"
)

// Result is one object of the results output.
type Result struct {
	Platform string `json:"platform"`
	App      string `json:"app"`
	Status   string `json:"status"`
	// HeldKeyID is the key ID mos.portal holds for the app after the run
	// (private_key_id for Android): "" when it holds none or that is unknown.
	HeldKeyID string `json:"heldKeyId"`
	// PreviousKeyID is the key this run's upload replaced; never set for
	// drift, which replaced nothing.
	PreviousKeyID string `json:"previousKeyId"`
	Error         string `json:"error"` // one sentence; the annotation has the rest
}

// outputs computes every output of the action. Values are identifiers,
// fingerprints and statuses: nothing secret.
func (r *run) outputs() [][2]string {
	apple, play := r.store("ios"), r.store("android")
	results := []Result{}
	uploaded := false
	for _, s := range r.stores {
		for _, res := range r.appResults(s) {
			// Redacted before encoding: a mask matches the text, not its
			// JSON escaping.
			results = append(results, Result{
				Platform:      s.platform,
				App:           res.App,
				Status:        string(res.Status),
				HeldKeyID:     r.out.Redact(heldKeyID(res)),
				PreviousKeyID: r.out.Redact(res.Replaced),
				Error:         r.out.Redact(rowError(s, res)),
			})
			uploaded = uploaded || res.Status == keysync.StatusUploaded
		}
	}
	resultsJSON, _ := json.Marshal(results) // strings only: cannot fail

	return [][2]string{
		{"valid", strconv.FormatBool(apple.state == keyValid)},
		{"asc-key-id", shownID(r.cfg.ascKeyID, asckey.CheckKeyID)},
		{"asc-issuer-id", shownID(r.cfg.ascIssuerID, asckey.CheckIssuerID)},
		{"asc-fingerprint", apple.want.Fingerprint},
		{"asc-previous-key-id", previousKeyIDs(apple)},
		{"asc-key-age-days", ageOutput(apple)},
		{"play-valid", strconv.FormatBool(play.state == keyValid)},
		{"play-client-email", fact(play, "Client email")},
		{"play-key-id", play.want.KeyID},
		{"play-fingerprint", play.want.Fingerprint},
		{"play-previous-key-id", previousKeyIDs(play)},
		{"play-key-age-days", ageOutput(play)},
		{"play-key-created-at", timeOutput(play.created)},
		{"play-key-expires-at", timeOutput(play.expires)},
		{"uploaded", strconv.FormatBool(uploaded)},
		{"results", string(resultsJSON)},
	}
}

// appResults is a store's rows in the results output and in the summary's
// app table: one per requested app once the inputs passed validation. A key
// that failed its intake or its store check touched no app, yet each of its
// apps is listed as failed, so a job reading results sees which apps are left
// without a working key. No rows: the inputs were refused (the run stopped
// before the keys), no key was given for this store, or no mos.portal apps
// were requested (mode check without the mos inputs).
//
// These rows raise no annotation of their own: the key's annotation already
// says why it failed, and one per app would bury it under copies.
func (r *run) appResults(s *store) []keysync.Result {
	if !r.validated || !s.given() || !r.cfg.hasMos() || s.state == keyValid {
		return s.results
	}
	rows := make([]keysync.Result, 0, len(s.sel.Apps))
	for _, app := range s.sel.Apps {
		rows = append(rows, keysync.Result{App: app, Status: keysync.StatusFailed, Err: &keyFailedError{
			store: s.name, app: app, refused: s.state == keyRefused, cut: s.cut, timeout: r.cfg.timeout,
		}})
	}
	return rows
}

// keyFailedError is the error of an app whose key failed its intake or store
// check: one short sentence, as the key's own annotation has the reason.
type keyFailedError struct {
	store, app string
	refused    bool  // refused at intake, before any request
	cut        error // the run's time ran out, or it was cancelled, during the check
	timeout    time.Duration
}

func (e *keyFailedError) Error() string {
	how := ""
	switch {
	case e.refused:
		how = " (refused before any request)"
	case errors.Is(e.cut, context.DeadlineExceeded):
		how = fmt.Sprintf(" (the run's timeout of %s ran out)", e.timeout)
	case errors.Is(e.cut, context.Canceled):
		how = " (the run was cancelled)"
	}
	return fmt.Sprintf("the %s key failed its check%s, so nothing was written to app %s; the key's error annotation says why", e.store, how, e.app)
}

// heldKeyID is the key ID mos.portal holds for the app after the run, ""
// when none or unknown.
func heldKeyID(res keysync.Result) string {
	if res.Held == nil {
		return ""
	}
	return res.Held.KeyID
}

// rowError is the one sentence of an app's row in results and the summary:
// for drift, what mos.portal holds; for a failure, the lead of its error.
func rowError(s *store, res keysync.Result) string {
	if res.Status == keysync.StatusDrift {
		return keysync.DescribeHeld(res.Before, s.want)
	}
	return lead(explainText(res.Err))
}

func (r *run) store(platform string) *store {
	for _, s := range r.stores {
		if s.platform == platform {
			return s
		}
	}
	return &store{ageDays: -1}
}

// previousKeyIDs lists the distinct key IDs this run replaced, in app order.
func previousKeyIDs(s *store) string {
	var ids []string
	for _, res := range s.results {
		if res.Status == keysync.StatusUploaded && res.Replaced != "" && !slices.Contains(ids, res.Replaced) {
			ids = append(ids, res.Replaced)
		}
	}
	return strings.Join(ids, ",")
}

func ageOutput(s *store) string {
	if s.ageDays < 0 {
		return ""
	}
	return strconv.Itoa(s.ageDays)
}

// timeOutput is a time in RFC 3339 UTC, or empty when unknown.
func timeOutput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fact(s *store, label string) string {
	for _, f := range s.facts {
		if f[0] == label {
			return f[1]
		}
	}
	return ""
}

// writeReport sets the outputs and writes the step summary. Outside a runner
// (no GITHUB_OUTPUT), the outputs are printed instead.
func (r *run) writeReport() {
	r.flush()
	outs := r.outputs()
	if r.deps.Getenv("GITHUB_OUTPUT") == "" {
		r.logf("outputs (GITHUB_OUTPUT is not set):")
	}
	for _, o := range outs {
		if err := r.out.SetOutput(o[0], o[1]); err != nil {
			r.errorf("Cannot write the step's outputs", "%s", err)
		}
	}
	if err := r.out.AppendSummary(r.summary()); err != nil {
		r.errorf("Cannot write the step summary", "%s", err)
	}
}

// summary renders the step summary: one table for the keys checked, one row
// per app.
func (r *run) summary() string {
	var b strings.Builder
	b.WriteString("## mos. publisher keys\n\n")
	b.WriteString(r.headline() + "\n\n")
	r.keyTables(&b)
	r.listOverflow(&b)
	return b.String()
}

// keyTables writes, per key given, its facts and its apps' rows.
func (r *run) keyTables(b *strings.Builder) {
	var given []*store
	for _, s := range r.stores {
		if s.given() {
			given = append(given, s)
		}
	}
	if len(given) == 0 {
		b.WriteString("No key was checked: the inputs were refused (see the errors in the log).\n")
		return
	}
	for _, s := range given {
		fmt.Fprintf(b, "### %s key\n\n| Field | Value |\n|---|---|\n", s.name)
		for _, f := range s.facts {
			fmt.Fprintf(b, "| %s | %s |\n", f[0], cell(f[1]))
		}
		fmt.Fprintf(b, "| %s check | %s |\n", s.name, cell(checkCell(s)))
		if s.ageDays >= 0 {
			fmt.Fprintf(b, "| Key age in mos.portal | %d days |\n", s.ageDays)
		}
		b.WriteString("\n")
		rows := r.appResults(s)
		if len(rows) == 0 {
			continue
		}
		// Another team's apps (skipped under mos-apps "*") are listed apart:
		// nothing is wrong with them.
		var others []keysync.Result
		rows = slices.DeleteFunc(slices.Clone(rows), func(res keysync.Result) bool {
			if res.Status == keysync.StatusSkipped {
				others = append(others, res)
				return true
			}
			return false
		})
		if len(rows) > 0 {
			b.WriteString("| App | Status | Held in mos.portal | Replaced | Details |\n|---|---|---|---|---|\n")
			for _, res := range rows {
				fmt.Fprintf(b, "| %s | %s %s | %s | %s | %s |\n",
					cell(res.App), statusIcon(res.Status), res.Status, cell(heldKeyID(res)), cell(res.Replaced), cell(rowError(s, res)))
			}
			b.WriteString("\n")
		}
		if len(others) > 0 {
			fmt.Fprintf(b, "#### Other teams' apps\n\nThe %s key cannot see these apps of the project, so they were left as they are.\n\n| App | Status | Held in mos.portal | Details |\n|---|---|---|---|\n", s.name)
			for _, res := range others {
				fmt.Fprintf(b, "| %s | %s %s | %s | %s |\n", cell(res.App), statusIcon(res.Status), res.Status, cell(heldKeyID(res)), cell(rowError(s, res)))
			}
			b.WriteString("\n")
		}
	}
}

// headline is the summary's first line: verdict, mode, the apps by status
// and how long the run took, e.g. "✅ sync: 1 uploaded, 2 unchanged · 1.2 s".
func (r *run) headline() string {
	verdict := "✅"
	if r.stepFails() {
		verdict = "❌"
	}
	counts := map[keysync.Status]int{}
	total := 0
	for _, s := range r.stores {
		for _, res := range r.appResults(s) {
			counts[res.Status]++
			total++
		}
	}
	var parts []string
	for _, st := range []keysync.Status{keysync.StatusUploaded, keysync.StatusUnchanged, keysync.StatusInSync, keysync.StatusDrift, keysync.StatusFailed, keysync.StatusSkipped} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	what := strings.Join(parts, ", ")
	switch {
	case total > 0:
	case !r.validated:
		what = "the inputs were refused"
	default:
		what = "no mos.portal app"
	}
	mode := string(r.cfg.mode)
	if mode == "" { // a mode input that was refused
		mode = "run"
	}
	took := r.deps.Now().Sub(r.start).Seconds()
	return fmt.Sprintf("%s %s: %s · %.1f s", verdict, mode, what, took)
}

// stepFails reports whether the step ends failed, as Run will decide.
func (r *run) stepFails() bool {
	return r.failed.Load() || slices.ContainsFunc(r.stores, (*store).failed)
}

// listOverflow lists every cause of a level that has more annotations
// than GitHub shows: the last annotation shown points here.
func (r *run) listOverflow(b *strings.Builder) {
	over := overflowing(r.notes.causes)
	for _, level := range []ghout.Level{levelError, levelWarning, levelNotice} {
		all := over[level]
		if len(all) == 0 {
			continue
		}
		fmt.Fprintf(b, "### All %d %ss\n\n", len(all), level)
		for _, c := range all {
			fmt.Fprintf(b, "- **%s**: %s\n", cell(c.title), cell(c.message()))
		}
	}
}

func checkCell(s *store) string {
	switch s.state {
	case keyRefused:
		return "❌ refused before any request: " + lead(explainText(s.err))
	case keyValid:
		return "✅ " + s.note
	case keyCheckFailed:
		return "❌ " + lead(explainText(s.err))
	}
	return "⏭️ not run (other inputs were refused)"
}

func statusIcon(s keysync.Status) string {
	switch s {
	case keysync.StatusUploaded:
		return "⬆️"
	case keysync.StatusUnchanged, keysync.StatusInSync:
		return "✅"
	case keysync.StatusDrift:
		return "⚠️"
	case keysync.StatusSkipped:
		return "⏭️"
	}
	return "❌"
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string { return ghout.Cell(s) }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ReadOutputFile parses a GITHUB_OUTPUT file (name<<delimiter blocks, or
// name=value lines), for the sandbox and tests. A missing file has no outputs.
func ReadOutputFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			if n, v, ok := strings.Cut(lines[i], "="); ok {
				out[n] = v
			}
			continue
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out, nil
}
