#include <stdio.h>
int main(void) { puts("storage: 0 passed, 0 failed"); return 0; }
