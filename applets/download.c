//applet: download - the downloader (btdownloadheadless, btdownloadcurses)
#include "applets.h"
#include "msg.h"

int
download_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	bt_warn("the downloader (btdownloadheadless, btdownloadcurses) is not built yet in this version of bt");
	return BT_EXIT_FAIL;
}
