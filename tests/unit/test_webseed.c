#include <stdio.h>
int main(void) { puts("webseed: 0 passed, 0 failed"); return 0; }
