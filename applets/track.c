//applet: track - the tracker (bttrack)
#include "applets.h"
#include "msg.h"

int
track_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	bt_warn("the tracker (bttrack) is not built yet in this version of bt");
	return BT_EXIT_FAIL;
}
