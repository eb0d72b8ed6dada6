package main

import "os"

func main() {
	_ = os.Remove("/tmp/x")
}
