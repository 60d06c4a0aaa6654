package main

// Regenerate the typed Go package (generated/chatapp) and the TypeScript
// types (web/src/chat.sio.ts) from chat.sio.yaml, then rebuild the page's
// bundle (web/dist/app.js) with esbuild; needs `make npm` (or
// `npm ci --prefix examples/chat/web`) once.
//go:generate go run ../../cmd/siogen generate
//go:generate npm --prefix web run --silent build
