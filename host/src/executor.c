/*
 * Scan callbacks (multicorn2 3.x, src/multicorn.c and src/python.c there):
 *
 * - the first fetch calls execute(quals, columns, [sortkeys=...], [limit=...], [offset=...]): quals is a
 *   list of Qual with every value known at this point (constants, and Params of prepared statements and
 *   nested loops evaluated now), columns the set of needed column names; sortkeys is passed only when
 *   the wrapper accepted a sort, limit and offset only when it accepted them and the query has each;
 * - execute() may return None (no rows) or any iterable; each item is a dict or a sequence; an item that
 *   is None ends the scan;
 * - a rescan (new outer row of a nested loop) calls execute() again with the new parameter values;
 * - EXPLAIN calls explain(quals, columns, [sortkeys=...], verbose=...) instead, the values that are not
 *   constants not evaluated (multicorn2's placeholders: host_unevaluated_to_python), and shows each
 *   returned item as a "Multicorn: <str(item)>" line;
 * - end_scan() at the end of every scan.
 *
 * Python references held by a scan are released by a memory context callback too, so an ERROR in the
 * middle of a scan leaks nothing.
 */
#include "host.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/memutils.h"
#include "utils/rel.h"

typedef struct HostScanState
{
	PyObject			 *instance; /* owned */
	PyObject			 *iterator; /* owned; NULL before execute() and after the end */
	bool				  started;
	List				 *quals;	   /* HostQual */
	List				 *qual_states; /* ExprState per qual (NULL for constants) */
	List				 *target_names;
	List				 *sortkeys; /* HostSortKey */
	int					  limit;
	int					  offset;
	HostColumn			 *columns;
	int					  natts;
	PyObject			**names; /* owned: column names as str, made at the first row (NULL for dropped) */
	bool				  names_ready;
	StringInfo			  buffer;
	MemoryContextCallback release;
} HostScanState;

static void
release_scan(void *arg)
{
	HostScanState *state = (HostScanState *) arg;
	int			   i;

	if (!Py_IsInitialized())
		return;
	Py_CLEAR(state->iterator);
	Py_CLEAR(state->instance);
	for (i = 0; i < state->natts; i++)
		Py_CLEAR(state->names[i]);
}

/* The column names as str, for reading dict rows (the array itself is allocated with the scan state). */
static PyObject **
column_names(HostScanState *state)
{
	int i;

	if (state->names_ready)
		return state->names;
	state->names_ready = true;
	for (i = 0; i < state->natts; i++)
	{
		if (state->columns[i].dropped)
			continue;
		state->names[i] = host_cstring_to_python(state->columns[i].attname);
		if (state->names[i] == NULL)
			host_raise_python_error();
	}
	return state->names;
}

void
hostBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan	  *plan = (ForeignScan *) node->ss.ps.plan;
	Relation	   rel = node->ss.ss_currentRelation;
	HostScanState *state = palloc0(sizeof(HostScanState));
	Relids		   relids = bms_make_singleton(plan->scan.scanrelid);
	ListCell	  *lc;

	state->target_names = (List *) linitial(plan->fdw_private);
	state->sortkeys = host_sortkeys_from_nodes((List *) lsecond(plan->fdw_private));
	state->limit = intVal(lthird(plan->fdw_private));
	state->offset = intVal(lfourth(plan->fdw_private));
	foreach(lc, plan->fdw_exprs)
		host_extract_quals(NULL, relids, (Expr *) lfirst(lc), &state->quals);
	foreach(lc, state->quals)
	{
		HostQual *qual = (HostQual *) lfirst(lc);

		state->qual_states =
			lappend(state->qual_states, IsA(qual->right, Const) ? NULL : ExecInitExpr(qual->right, &node->ss.ps));
	}
	state->columns = host_columns_for(RelationGetDescr(rel));
	state->natts = RelationGetDescr(rel)->natts;
	/* Here, in the scan's memory context: IterateForeignScan runs in a per-tuple one. */
	state->names = palloc0(sizeof(PyObject *) * Max(state->natts, 1));
	state->buffer = makeStringInfo();

	state->release.func = release_scan;
	state->release.arg = state;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &state->release);
	node->fdw_state = state;

	state->instance = host_instance_for(RelationGetRelid(rel));
	Py_INCREF(state->instance);
}

/* Calls execute() or explain(); returns what it returned (a new reference). */
static PyObject *
call_wrapper(ForeignScanState *node, HostScanState *state, ExplainState *es)
{
	PyObject *quals =
		host_quals_to_python(state->quals, state->columns, es != NULL ? HOST_QUALS_NOT_EVALUATED : HOST_QUALS_EVALUATED,
							 state->qual_states, node->ss.ps.ps_ExprContext);
	PyObject *columns = NULL;
	PyObject *args = NULL;
	PyObject *kwargs = NULL;
	PyObject *result;

	PG_TRY();
	{
		columns = host_names_to_pyset(state->target_names);
		kwargs = PyDict_New();
		if (state->sortkeys != NIL)
		{
			PyObject *sortkeys = host_sortkeys_to_python(state->sortkeys);

			PyDict_SetItemString(kwargs, "sortkeys", sortkeys);
			Py_DECREF(sortkeys);
		}
		/* Each only when the query has it (multicorn2: no limit=None, no offset=None). */
		if (state->limit >= 0)
		{
			PyObject *limit = PyLong_FromLong(state->limit);

			PyDict_SetItemString(kwargs, "limit", limit);
			Py_DECREF(limit);
		}
		if (state->offset >= 0)
		{
			PyObject *offset = PyLong_FromLong(state->offset);

			PyDict_SetItemString(kwargs, "offset", offset);
			Py_DECREF(offset);
		}
		if (es != NULL)
			PyDict_SetItemString(kwargs, "verbose", es->verbose ? Py_True : Py_False);
	}
	PG_CATCH();
	{
		Py_DECREF(quals);
		Py_XDECREF(columns);
		Py_XDECREF(kwargs);
		PG_RE_THROW();
	}
	PG_END_TRY();
	args = PyTuple_Pack(2, quals, columns);
	Py_DECREF(quals);
	Py_DECREF(columns);
	if (args == NULL)
	{
		Py_XDECREF(kwargs);
		host_raise_python_error();
	}
	PG_TRY();
	{
		result = host_call_method(state->instance, es != NULL ? "explain" : "execute", args, kwargs);
	}
	PG_CATCH();
	{
		Py_DECREF(args);
		Py_XDECREF(kwargs);
		PG_RE_THROW();
	}
	PG_END_TRY();
	Py_DECREF(args);
	Py_XDECREF(kwargs);
	return result;
}

static void
start_scan(ForeignScanState *node, HostScanState *state)
{
	PyObject *result = call_wrapper(node, state, NULL);

	state->started = true;
	if (result == Py_None)
	{
		Py_DECREF(result);
		return;
	}
	state->iterator = PyObject_GetIter(result);
	Py_DECREF(result);
	if (state->iterator == NULL)
		host_raise_python_error();
}

TupleTableSlot *
hostIterateForeignScan(ForeignScanState *node)
{
	HostScanState  *state = (HostScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	PyObject	   *row;

	/* A wrapper that yields forever can still be cancelled between rows. */
	CHECK_FOR_INTERRUPTS();
	if (!state->started)
		start_scan(node, state);
	ExecClearTuple(slot);
	if (state->iterator == NULL)
		return slot;
	row = PyIter_Next(state->iterator);
	if (row == NULL)
	{
		host_check_python();
		Py_CLEAR(state->iterator);
		return slot;
	}
	if (row == Py_None)
	{
		/* multicorn2: a None item ends the scan. */
		Py_DECREF(row);
		Py_CLEAR(state->iterator);
		return slot;
	}
	PG_TRY();
	{
		host_python_row_to_slot_named(row, slot, state->columns, column_names(state), state->buffer);
	}
	PG_CATCH();
	{
		Py_DECREF(row);
		PG_RE_THROW();
	}
	PG_END_TRY();
	Py_DECREF(row);
	return slot;
}

void
hostReScanForeignScan(ForeignScanState *node)
{
	HostScanState *state = (HostScanState *) node->fdw_state;

	Py_CLEAR(state->iterator);
	state->started = false;
}

void
hostEndForeignScan(ForeignScanState *node)
{
	HostScanState *state = (HostScanState *) node->fdw_state;

	if (state == NULL || state->instance == NULL)
		return;
	host_call_method_void(state->instance, "end_scan", NULL);
	release_scan(state);
}

void
hostExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	HostScanState *state = (HostScanState *) node->fdw_state;
	PyObject	  *lines = call_wrapper(node, state, es);
	PyObject	  *iterator;
	PyObject	  *line;

	if (lines == Py_None)
	{
		Py_DECREF(lines);
		return;
	}
	iterator = PyObject_GetIter(lines);
	Py_DECREF(lines);
	if (iterator == NULL)
		host_raise_python_error();
	while ((line = PyIter_Next(iterator)) != NULL)
	{
		PyObject   *text = PyObject_Str(line);
		const char *utf8 = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
		char	   *server;

		Py_DECREF(line);
		if (utf8 == NULL)
		{
			Py_XDECREF(text);
			Py_DECREF(iterator);
			host_raise_python_error();
		}
		server = pg_any_to_server(utf8, strlen(utf8), PG_UTF8);
		server = pstrdup(server);
		Py_DECREF(text);
		PG_TRY();
		{
			ExplainPropertyText("Multicorn", server, es);
		}
		PG_CATCH();
		{
			Py_DECREF(iterator);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	Py_DECREF(iterator);
	host_check_python();
}
