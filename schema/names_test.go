package schema

import "testing"

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"user_id": "UserID", "userId": "UserID", "sentAt": "SentAt", "chat:message": "ChatMessage",
		"avatar-url": "AvatarURL", "avatarURL": "AvatarURL", "HTTPServer": "HTTPServer", "ids": "Ids",
		"join": "Join", "doc:changed": "DocChanged", "utf8_text": "UTF8Text", "v2": "V2", "api_v2_key": "APIV2Key",
		"2fa": "2fa", "!!": "", "in-progress": "InProgress", "x": "X", "ÜberCool": "ÜberCool", "json": "JSON",
	} {
		if got := GoName(in); got != want {
			t.Errorf("GoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTypeGoName(t *testing.T) {
	for in, want := range map[string]string{
		"RoomID": "RoomID", "userProfile": "UserProfile", "XMLDoc": "XMLDoc", "room_id": "RoomId", "Url": "Url",
	} {
		if got := goTypeName(in); got != want {
			t.Errorf("goTypeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamespaceGoName(t *testing.T) {
	for in, want := range map[string]string{
		"/": "Main", "/chat": "Chat", "/workspace/{id}": "Workspace", "/admin/audit-log": "AdminAuditLog",
		"/{tenant}": "Tenant", "/org/{org}/team/{team}": "OrgTeam", "/v1.chat": "V1Chat",
	} {
		if got := NamespaceGoName(in); got != want {
			t.Errorf("NamespaceGoName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsGoIdent(t *testing.T) {
	for in, want := range map[string]bool{"User": true, "user": false, "": false, "2fa": false, "A_b9": true, "Ü": true, "A-b": false} {
		if got := IsGoIdent(in); got != want {
			t.Errorf("IsGoIdent(%q) = %v", in, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"payload", "args", "ack", "errors", "doc", "deprecated"}
	for in, want := range map[string]string{
		"paylod": "payload", "akc": "ack", "Doc": "doc", "error": "errors", "dco": "doc", "zzz": "", "deprecate": "deprecated", "ack": "",
	} {
		if got := suggest(in, cands); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if d := editDistance("titel", "title"); d != 1 {
		t.Errorf("editDistance(titel, title) = %d", d)
	}
}

func TestNamespaceMatch(t *testing.T) {
	s, err := Parse("ns.sio.yaml", []byte("siogen: 1\nnamespaces:\n  /: {}\n  /w/{id}/doc/{doc_id}: {}\n  /a.b: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	root, w, ab := s.Namespace("/"), s.Namespace("/w/{id}/doc/{doc_id}"), s.Namespace("/a.b")
	if root.Regexp() != "^/$" || w.Regexp() != "^/w/([^/]+)/doc/([^/]+)$" || ab.Regexp() != `^/a\.b$` {
		t.Errorf("regexps %q %q %q", root.Regexp(), w.Regexp(), ab.Regexp())
	}
	if !w.IsDynamic() || root.IsDynamic() || len(w.Params) != 2 || w.Params[1].GoName != "DocID" || w.Params[1].Segment != 3 {
		t.Errorf("params %+v", w.Params)
	}
	if p, ok := w.Match("/w/42/doc/x"); !ok || p["id"] != "42" || p["doc_id"] != "x" {
		t.Errorf("Match = %v, %v", p, ok)
	}
	for _, bad := range []string{"/w/42/doc", "/w//doc/x", "w/1/doc/2", "/w/1/docs/2", "/w/1/doc/2/3"} {
		if _, ok := w.Match(bad); ok {
			t.Errorf("Match(%q) succeeded", bad)
		}
	}
	if _, ok := root.Match("/"); !ok {
		t.Error("root does not match /")
	}
	if _, ok := root.Match("/x"); ok {
		t.Error("root matches /x")
	}
}

func TestProblemsFormat(t *testing.T) {
	ps := Problems{
		{Pos: Pos{"b.yaml", 1, 1}, Message: "later file"},
		{Pos: Pos{"a.yaml", 2, 5}, Message: "int64", Warning: true},
		{Pos: Pos{"a.yaml", 2, 3}, Message: "first"},
		{Pos: Pos{"a.yaml", 2, 3}, Message: "first"},
		{Pos: Pos{File: "a.yaml"}, Message: "whole file"},
	}
	ps.Sort()
	want := "a.yaml: whole file\na.yaml:2:3: first\na.yaml:2:5: warning: int64\nb.yaml:1:1: later file"
	if ps.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", ps.Error(), want)
	}
	if len(ps.WarningsOnly()) != 1 || len(ps.Errors()) != 3 || !ps.HasErrors() || ps.WarningsOnly().HasErrors() {
		t.Error("filters")
	}
}

func TestWarningsOnly(t *testing.T) {
	s, err := Parse("w.sio.yaml", []byte("siogen: 1\ntypes:\n  N: int64\n  P: { type: string, pattern: \"(?P<x>a)\" }\n"+
		// Bounded on both sides, an int64 is exact in JavaScript: no warning.
		"  B: { type: int64, minimum: 0, maximum: 9007199254740992 }\n"+
		"  O:\n    fields:\n      at: { type: optional<int64>, minimum: -5, maximum: 5 }\n"+
		// Bounded on one side, or a list's elements: warnings.
		"      half: { type: int64, minimum: 0 }\n      many: { type: list<int64>, maxItems: 3 }\n"+
		// Names @asyncapi/parser fails on.
		"  R: { fields: { $ref: string, hasOwnProperty: bool, constructor: int32 } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := "w.sio.yaml:3:6: warning: int64 loses precision in JavaScript above 2^53\n" +
		"w.sio.yaml:4:31: warning: pattern uses (?P<name>…) (write (?<name>…)); JavaScript will not accept it the same way\n" +
		"w.sio.yaml:9:21: warning: int64 loses precision in JavaScript above 2^53\n" +
		"w.sio.yaml:10:26: warning: int64 loses precision in JavaScript above 2^53\n" +
		"w.sio.yaml:11:18: warning: field name $ref: @asyncapi/parser 3.6 cannot read the generated AsyncAPI document (it fails on this property name); the Go and TypeScript code are not affected\n" +
		"w.sio.yaml:11:32: warning: field name hasOwnProperty: @asyncapi/parser 3.6 cannot read the generated AsyncAPI document (it fails on this property name); the Go and TypeScript code are not affected"
	if s.Warnings.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", s.Warnings.Error(), want)
	}
}

func TestAliases(t *testing.T) {
	// A self-referencing alias must not hang the loader.
	_, err := Parse("a.sio.yaml", []byte("siogen: 1\ntypes:\n  T: &x { fields: { a: *x } }\n"))
	if err == nil {
		t.Fatal("no error")
	}
	// Ordinary aliases work.
	s, err := Parse("b.sio.yaml", []byte("siogen: 1\ntypes:\n  A: &f { fields: { n: string } }\n  B: *f\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Type("B").Type.Fields) != 1 {
		t.Error("alias not followed")
	}
}
