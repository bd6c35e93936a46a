{
  description = "hortus test image";
  outputs = { self }: { };
}
