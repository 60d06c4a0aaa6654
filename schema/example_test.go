package schema_test

import (
	"fmt"

	"github.com/siogen/siogen/schema"
)

func ExampleParse() {
	src := `
siogen: 1
types:
  Message: { fields: { room: string, text: { type: string, maxLength: 500 }, at: time } }
namespaces:
  /chat/{room}:
    client_to_server:
      send: { payload: { fields: { text: string } }, ack: Message }
    server_to_client:
      message: { payload: Message }
`
	s, err := schema.Parse("chat.sio.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ns := range s.Namespaces {
		fmt.Println(ns.Name, ns.GoName, ns.Regexp())
		for _, ev := range ns.Events() {
			fmt.Println(" ", ev.Direction, ev.Name, ev.GoName, "payload:", ev.Payload, "ack:", ev.Ack)
		}
	}
	for _, t := range s.AllTypes() {
		fmt.Println(t.GoName, t.Type.Kind, len(t.Type.Fields), "fields")
	}

	// Problems are collected, sorted and printed as file:line:col: message.
	_, err = schema.Parse("bad.sio.yaml", []byte("siogen: 1\ntypes:\n  A: { fields: { b: Strng, c: optional<list<optional<int32>>> } }\n"))
	fmt.Println(err)
	// Output:
	// /chat/{room} Chat ^/chat/([^/]+)$
	//   client_to_server send Send payload: ChatSendPayload ack: Message
	//   server_to_client message Message payload: Message ack: <nil>
	// Message object 3 fields
	// ChatSendPayload object 1 fields
	// bad.sio.yaml:3:21: unknown type "Strng" (did you mean string?)
	// bad.sio.yaml:3:45: optional<…> must be outermost: only a field, payload, ack or argument as a whole can be optional
}
