package parser_test

import (
	"fmt"

	"github.com/siogen/siogen/runtime/parser"
)

func Example() {
	// Encode once: the frames can be queued to many connections.
	frames, err := parser.JSON.Encode(parser.NewEvent("/chat", "file", "notes.txt", []byte{1, 2, 3}))
	if err != nil {
		panic(err)
	}
	for _, f := range frames {
		fmt.Printf("binary=%v %q\n", f.Binary, f.Data)
	}

	// Decode per connection: the text message (without its Engine.IO '4'),
	// then the attachment.
	dec := parser.JSON.NewDecoder(parser.DecoderOptions{})
	p, _ := dec.Add(frames[0].Data[1:], false) // nil: waiting for the attachment
	fmt.Println(p == nil)
	p, _ = dec.Add(frames[1].Data, true)
	name, _ := p.EventName()
	var fileName string
	var content []byte
	_ = p.Data[1].Decode(&fileName)
	_ = p.Data[2].Decode(&content)
	fmt.Println(p.Type, p.Namespace, name, fileName, content)

	// Echo the arguments back: decoded values are re-encoded byte for byte.
	reply, _ := parser.JSON.Encode(&parser.Packet{Type: parser.Event, Namespace: "/chat",
		Data: append([]parser.Value{parser.ValueOf("file-back")}, p.Args()...)})
	fmt.Printf("%q\n", reply[0].Data)
	// Output:
	// binary=false "451-/chat,[\"file\",\"notes.txt\",{\"_placeholder\":true,\"num\":0}]"
	// binary=true "\x01\x02\x03"
	// true
	// EVENT /chat file notes.txt [1 2 3]
	// "451-/chat,[\"file-back\",\"notes.txt\",{\"_placeholder\":true,\"num\":0}]"
}
