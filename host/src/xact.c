/*
 * The Python-side transactions of the wrapper instances (multicorn2 3.x, src/multicorn.c and src/python.c
 * begin_remote_xact there):
 *
 * - begin(serializable) -- an int, 1 under SERIALIZABLE else 0 -- when an instance is first used in a
 *   transaction, then sub_begin(level) for each savepoint level up to the current one (levels start at 2);
 * - every instance used in the transaction gets pre_commit() then commit(), or rollback(); a savepoint
 *   released gets sub_commit(level), one rolled back sub_rollback(level), for every instance that reached
 *   that level. Nothing on PREPARE TRANSACTION (the instances stay in their transaction, as in multicorn2).
 *
 * After the commit point and during abort an ERROR is not allowed, so a Python exception raised by
 * commit(), rollback() or sub_rollback() is reported as a WARNING; pre_commit() and sub_commit() may fail
 * the transaction.
 */
#include "host.h"

#include "access/xact.h"

/* Starts `entry`'s transaction: begin() once per transaction, then sub_begin() up to the current level. */
void
host_xact_begin(HostInstance *entry)
{
	int level = GetCurrentTransactionNestLevel();

	if (entry->xact_depth <= 0)
	{
		PyObject *args = Py_BuildValue("(i)", IsolationIsSerializable() ? 1 : 0);

		host_call_method_void(entry->instance, "begin", args);
		Py_DECREF(args);
		entry->xact_depth = 1;
	}
	while (entry->xact_depth < level)
	{
		PyObject *args;

		entry->xact_depth++;
		args = Py_BuildValue("(i)", entry->xact_depth);
		host_call_method_void(entry->instance, "sub_begin", args);
		Py_DECREF(args);
	}
}

/* What a transaction event does to an instance's depth. */
typedef enum DepthChange
{
	DEPTH_KEEP, /* pre_commit: the transaction goes on */
	DEPTH_END,	/* commit, rollback: out of any transaction */
	DEPTH_POP	/* sub_commit, sub_rollback: one savepoint level less */
} DepthChange;

/*
 * Calls `method` on every instance in the transaction: with no argument for a top-level event (`level` 0),
 * with (level) for a savepoint event, on the instances that reached that level. `may_fail`: the event still
 * allows an ERROR (pre_commit, sub_commit); otherwise a Python exception is reported as a WARNING and the
 * other instances are still called.
 */
static void
fan_out(const char *method, int level, DepthChange change, bool may_fail)
{
	HTAB		   *instances = host_instances();
	HASH_SEQ_STATUS status;
	HostInstance   *entry;

	if (instances == NULL || !Py_IsInitialized())
		return;
	hash_seq_init(&status, instances);
	while ((entry = (HostInstance *) hash_seq_search(&status)) != NULL)
	{
		PyObject *result;

		if (entry->instance == NULL || entry->xact_depth < Max(level, 1))
			continue;
		if (change == DEPTH_END)
			entry->xact_depth = 0;
		else if (change == DEPTH_POP)
			entry->xact_depth--;
		if (level == 0)
			result = PyObject_CallMethodNoArgs(entry->instance, host_name(method));
		else
			result = PyObject_CallMethod(entry->instance, method, "(i)", level);
		if (result != NULL)
		{
			Py_DECREF(result);
			continue;
		}
		if (may_fail)
		{
			hash_seq_term(&status);
			host_raise_python_error();
		}
		host_report_python_error_at(WARNING);
	}
}

static void
on_xact_event(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			fan_out("pre_commit", 0, DEPTH_KEEP, true);
			break;
		case XACT_EVENT_COMMIT:
			fan_out("commit", 0, DEPTH_END, false);
			host_forget_pending_error();
			break;
		case XACT_EVENT_ABORT:
			fan_out("rollback", 0, DEPTH_END, false);
			host_forget_pending_error();
			break;
		default:
			break;
	}
}

static void
on_subxact_event(SubXactEvent event, SubTransactionId subid, SubTransactionId parent_subid, void *arg)
{
	int level = GetCurrentTransactionNestLevel();

	switch (event)
	{
		case SUBXACT_EVENT_PRE_COMMIT_SUB:
			fan_out("sub_commit", level, DEPTH_POP, true);
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			fan_out("sub_rollback", level, DEPTH_POP, false);
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
