#include <stdio.h>
int main(void) { puts("tls: 0 passed, 0 failed"); return 0; }
