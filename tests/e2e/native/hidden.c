/* libpp_hidden.so, stripped into libpp_stripped.so: the work happens in
 * a function that is neither exported (.dynsym) nor, once stripped, in a
 * .symtab, so its addresses can only be shown as module+0xoffset. */
static volatile unsigned long sink;

__attribute__((noinline)) static void burn(long n)
{
	unsigned long x = sink;
	long i;

	for (i = 0; i < n; i++)
		x = x * 2862933555777941757ul + 3037000493ul;
	sink = x;
}

__attribute__((visibility("default"))) void pp_stripped_entry(long n)
{
	burn(n);
	sink += 1;
}
