package schema

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// commonInitialisms are the words that Go style writes in all capitals when
// they appear in an identifier (userId → UserID, avatarUrl → AvatarURL).
var commonInitialisms = map[string]bool{
	"ACL": true, "API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true,
	"EOF": true, "GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true,
	"IP": true, "JSON": true, "JWT": true, "LHS": true, "QPS": true, "RAM": true,
	"RHS": true, "RPC": true, "SLA": true, "SMTP": true, "SQL": true, "SSH": true,
	"TCP": true, "TLS": true, "TTL": true, "UDP": true, "UI": true, "UID": true,
	"URI": true, "URL": true, "UTF8": true, "UUID": true, "VM": true, "XML": true,
	"XMPP": true, "XSRF": true, "XSS": true,
}

// words splits a name into words: at every character that is not a letter
// or digit, at a lower-to-upper case change (userId → user, Id) and before
// the last capital of a run of capitals followed by a lower-case letter
// (HTTPServer → HTTP, Server). Digits stay with the word before them.
func words(s string) []string {
	var out []string
	rs := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush(i)
			start = i
		case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			flush(i)
			start = i
		}
	}
	flush(len(rs))
	return out
}

// GoName turns a name written in a schema into an exported Go identifier:
// the name is split into words (see the naming rules in docs/schema.md),
// each word is capitalised, and common initialisms are written in capitals.
//
//	user_id → UserID    sentAt → SentAt    chat:message → ChatMessage
//	avatar-url → AvatarURL    HTTPServer → HTTPServer    ids → Ids
//
// The result may be empty (no letters or digits) or start with a digit;
// [IsGoIdent] tells whether it can be used as is.
func GoName(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		if up := strings.ToUpper(w); commonInitialisms[up] {
			b.WriteString(up)
			continue
		}
		r, n := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(strings.ToLower(w[n:]))
	}
	return b.String()
}

// goTypeName is GoName for names that were declared as type names: those
// keep their own capitalisation after the first letter (RoomID stays
// RoomID, XMLDoc stays XMLDoc, userProfile becomes UserProfile), except
// that word separators are dropped.
func goTypeName(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		r, n := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[n:])
	}
	return b.String()
}

// NamespaceGoName is the Go name of a namespace path: the literal segments
// joined as by [GoName], parameters left out. The main namespace "/" is
// Main; a path made only of parameters is named after them.
//
//	/ → Main    /chat → Chat    /workspace/{id} → Workspace
//	/admin/audit-log → AdminAuditLog    /{tenant} → Tenant
func NamespaceGoName(path string) string {
	var lit, params []string
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			params = append(params, strings.Trim(seg, "{}"))
			continue
		}
		lit = append(lit, seg)
	}
	switch {
	case len(lit) > 0:
		return GoName(strings.Join(lit, "_"))
	case len(params) > 0:
		return GoName(strings.Join(params, "_"))
	}
	return "Main"
}

// IsGoIdent reports whether s is a valid exported Go identifier.
func IsGoIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r)) {
			continue
		}
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// editDistance is the edit distance between a and b counting insertions,
// deletions, substitutions and transpositions of adjacent characters
// (titel → title is one edit).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// suggest returns the candidate closest to name, or "" when none is close
// enough to be a likely typo. A candidate that differs only in case wins;
// otherwise the edit distance must be at most max(1, len(name)/3). Ties go
// to the candidate listed first.
func suggest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) && c != name {
			return c
		}
	}
	best, bestD := "", max(1, utf8.RuneCountInString(name)/3)+1
	for _, c := range candidates {
		if c == name {
			continue
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean formats a suggestion as " (did you mean X?)", or "" if there
// is none.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}
