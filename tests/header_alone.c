/* The public header compiles on its own, with -Wall -Wextra -pedantic -Werror. */
#include "relmap.h"

int relmap_header_alone(void);
int relmap_header_alone(void)
{
    return RELMAP_OK;
}
