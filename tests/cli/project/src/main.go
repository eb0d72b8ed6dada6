package main

import "os"

func main() {
	os.MkdirAll("/tmp/x", 0o755)
}
