/*
 * Transaction callbacks (multicorn2 3.x, src/multicorn.c there): every wrapper instance used in the
 * current transaction gets pre_commit() then commit(), or rollback(); a savepoint released gets
 * sub_commit(level), one rolled back sub_rollback(level). begin()/sub_begin() are sent when an instance is
 * first used in a transaction or savepoint (options.c).
 *
 * After the commit point and during abort an ERROR is not allowed, so a Python exception raised by
 * commit(), rollback() or sub_rollback() is reported as a WARNING; pre_commit() and sub_commit() may fail
 * the transaction.
 */
#include "host.h"

#include "access/xact.h"

static void
on_xact_event(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			host_xact_event(true, "pre_commit", false);
			break;
		case XACT_EVENT_COMMIT:
			host_xact_event(false, "commit", true);
			host_forget_pending_error();
			break;
		case XACT_EVENT_ABORT:
			host_xact_event(false, "rollback", true);
			host_forget_pending_error();
			break;
		default:
			break;
	}
}

static void
on_subxact_event(SubXactEvent event, SubTransactionId subid, SubTransactionId parent_subid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	switch (event)
	{
		case SUBXACT_EVENT_PRE_COMMIT_SUB:
			host_subxact_event("sub_commit", level);
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			host_subxact_event("sub_rollback", level);
			break;
		default:
			break;
	}
}

void
host_register_xact_callbacks(void)
{
	RegisterXactCallback(on_xact_event, NULL);
	RegisterSubXactCallback(on_subxact_event, NULL);
}
