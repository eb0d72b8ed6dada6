// Likely bugs in Go.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
)

type Store struct{}

func (s *Store) Save(v string) error { return nil }

func load(path string) error { return nil }

func errors(path string, data []byte, s *Store) {
	_ = os.Remove(path)         // an explicit discard is a decision
	os.MkdirAll(path, 0o755)    // expect: LB213
	load(path)                  // expect: LB213
	s.Save(path)                // expect: LB213
	n, _ := strconv.Atoi(path)  // so is this one
	var v map[string]any
	json.Unmarshal(data, &v)    // expect: LB213
	fmt.Println(n)
	if err := load(path); err != nil {
		return
	}
	defer s.Save(path)
	value, ok := cache[path]
	_, _ = value, ok
}

func files(path string) ([]byte, error) {
	f, err := os.Open(path) // expect: LB210
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 10)
	f.Read(buf)
	g, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	return buf, nil
}

func forever(n int) int {
	return forever(n - 1) // expect: LB207
}

func countdown(n int) int {
	if n == 0 {
		return 0
	}
	return countdown(n - 1)
}

func same(a int) bool {
	return a < a // expect: LB208
}

func dead(x int) int {
	return x
	fmt.Println("never") // expect: LB205
}

func build(parts []string) string {
	s := ""
	for _, p := range parts {
		s += p // expect: LP302
		re := regexp.MustCompile(`\d+`) // expect: LP303
		_ = re
	}
	return s
}
