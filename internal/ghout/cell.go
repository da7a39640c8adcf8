package ghout

import "strings"

// Cell makes text from anywhere safe as a cell of the step summary's
// markdown tables: one line, no HTML, no markdown link, image or code span,
// no bare URL GitHub would turn into a link, and no | that ends the cell.
// Character references, not backslashes, so that a backslash in the text
// cannot undo an escape.
func Cell(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return isSpace(r) || isControl(r) }), " ")
	return cellEscaper.Replace(s)
}

var cellEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"[", "&#91;", "]", "&#93;", "`", "&#96;", "|", "&#124;",
	"://", "&#58;//", "www.", "www&#46;",
)
