if (<|cursor|>) {
  run();
}
