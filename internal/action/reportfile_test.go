package action

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestReportFileError(t *testing.T) {
	t.Parallel()
	const path = "/github/file_commands/set_output_1"
	cases := []struct {
		name    string
		err     error
		want    []string
		notWant []string
	}{
		{
			name:    "missing folder",
			err:     &fs.PathError{Op: "open", Path: path, Err: syscall.ENOENT},
			want:    []string{"GITHUB_OUTPUT (" + path + ") is missing", "nothing was checked or uploaded", "run the action as a workflow step"},
			notWant: []string{"USER", "root"},
		},
		{
			name: "permission denied",
			err:  &fs.PathError{Op: "open", Path: path, Err: syscall.EACCES},
			want: []string{"cannot write GITHUB_OUTPUT (" + path + "): permission denied", "must not set USER"},
		},
		{
			name:    "something else",
			err:     &fs.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR},
			want:    []string{"cannot write GITHUB_OUTPUT (" + path + "): not a directory", "nothing was checked or uploaded"},
			notWant: []string{"USER", "missing"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := reportFileError("GITHUB_OUTPUT", path, tc.err).Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("message must not say %q:\n%s", w, got)
				}
			}
			if strings.Count(got, path) != 1 {
				t.Errorf("the path should appear once:\n%s", got)
			}
		})
	}
}
