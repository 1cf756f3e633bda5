//applet: launchmany - the multi-torrent downloader (btlaunchmany, btlaunchmanycurses)
#include "applets.h"
#include "msg.h"

int
launchmany_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	bt_warn("the multi-torrent downloader (btlaunchmany, btlaunchmanycurses) is not built yet in this version of bt");
	return BT_EXIT_FAIL;
}
