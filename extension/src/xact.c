/*
 * PostgreSQL's transaction events, forwarded to the write set of the memcache_* functions (pymcache_fdw.functions:
 * pre_commit, commit, rollback, sub_commit, sub_rollback) in every transaction that wrote through one of them (a
 * transaction that only read has nothing to send or drop, and its COMMIT costs no Python call: the tables learn that
 * a new transaction began from the generation, a count of the backend's transactions passed with every call). A
 * transaction may use only functions, so no Multicorn instance hears these events for their writes; when it also
 * used cache tables, Multicorn calls the same hooks of the same write set, and they are idempotent: whichever
 * pre_commit comes first sends everything, the others find nothing left.
 *
 * PRE_COMMIT and a savepoint's PRE_COMMIT_SUB may fail the transaction (an ERROR, after Python has returned); COMMIT,
 * ABORT and ABORT_SUB come where an ERROR is not allowed, so a Python exception there is a WARNING. PREPARE
 * TRANSACTION is refused by the guard (guard.c) for any transaction that used a cache table, functions included.
 */
#include "pymcache_fdw.h"

#include "access/xact.h"

static bool	  callbacks_registered = false;
static bool	  used_in_transaction = false;
static uint32 generation = 1;

/* Calls pymcache_fdw.functions.`hook`(level) (no argument when `level` is 0), reporting a failure at `elevel`. */
static void
forward(const char *hook, int level, int elevel)
{
	PyObject *module = pymc_functions_module();
	PyObject *result;

	if (level == 0)
		result = PyObject_CallMethodNoArgs(module, pymc_name(hook));
	else
	{
		PyObject *argument = PyLong_FromLong(level);

		result = argument != NULL ? PyObject_CallMethodOneArg(module, pymc_name(hook), argument) : NULL;
		Py_XDECREF(argument);
	}
	if (result == NULL)
	{
		pymc_report_python_error(elevel);
		return;
	}
	Py_DECREF(result);
}

static void
on_xact_event(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE)
		generation++;
	if (!used_in_transaction)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			forward("pre_commit", 0, ERROR);
			break;
		case XACT_EVENT_COMMIT:
			used_in_transaction = false;
			forward("commit", 0, WARNING);
			break;
		case XACT_EVENT_ABORT:
			used_in_transaction = false;
			forward("rollback", 0, WARNING);
			break;
		case XACT_EVENT_PREPARE:
			/* Not reached with functions: the guard refuses PREPARE of a transaction that used them. */
			used_in_transaction = false;
			break;
		default:
			break;
	}
}

static void
on_subxact_event(SubXactEvent event, SubTransactionId subid, SubTransactionId parent_subid, void *arg)
{
	if (!used_in_transaction)
		return;
	switch (event)
	{
		case SUBXACT_EVENT_PRE_COMMIT_SUB:
			forward("sub_commit", GetCurrentTransactionNestLevel(), ERROR);
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			forward("sub_rollback", GetCurrentTransactionNestLevel(), WARNING);
			break;
		default:
			break;
	}
}

/* A function is about to run; when it `writes`, the transaction's events are forwarded from now on. */
void
pymc_note_function_use(bool writes)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(on_xact_event, NULL);
		RegisterSubXactCallback(on_subxact_event, NULL);
		callbacks_registered = true;
	}
	if (writes)
		used_in_transaction = true;
}

/* How many transactions of the backend have ended since the functions were first used (plus one). */
uint32
pymc_transaction_generation(void)
{
	return generation;
}

/* PostgreSQL's nesting level, which is Multicorn's savepoint level: 1 for the transaction, 2.. for savepoints. */
int
pymc_transaction_level(void)
{
	return GetCurrentTransactionNestLevel();
}

/* 1 under SERIALIZABLE (Multicorn's begin argument), else 0. */
int
pymc_serializable(void)
{
	return IsolationIsSerializable() ? 1 : 0;
}
