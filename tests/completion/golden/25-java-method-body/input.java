class A {
  int twice(int x) {<|cursor|>
  }
}
