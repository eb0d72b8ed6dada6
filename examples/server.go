package main

import (
	"fmt"
	"os"
	"os/exec"
)

func listing(dir string) ([]byte, error) {
	return exec.Command("sh", "-c", "ls -l "+dir).Output()
}

func main() {
	os.Remove("/tmp/inventory.lock")
	out, _ := listing(os.Args[1])
	fmt.Println(string(out))
}
