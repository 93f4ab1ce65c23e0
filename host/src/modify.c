/*
 * INSERT / UPDATE / DELETE (multicorn2 3.x on PostgreSQL 14+, src/multicorn.c there):
 *
 * - the wrapper's `rowid_column` names the column identifying a row; it is read when a modification
 *   starts (so a wrapper without it fails with NotImplementedError, even for INSERT);
 * - insert(values): values is {column: value} for every column (None for NULL); a returned dict/sequence
 *   replaces the row (RETURNING sees it);
 * - update(oldvalues, newvalues): `oldvalues` is the VALUE of the rowid column of the row being updated
 *   (not a dict), newvalues {column: value} for every column of the new row (UPDATE fetches them all);
 * - delete(oldvalues): `oldvalues` is the value of the rowid column; DELETE ... RETURNING returns the
 *   values the scan produced (or what delete() returned, if not None);
 * - modify_batch_size > 1: INSERT hands rows to bulk_insert([values, ...]) in batches of that size (a
 *   returned list must have one row per inserted row). Like multicorn2 (and unlike postgres_fdw), the batch
 *   size ignores RETURNING and AFTER ROW triggers, so a batched INSERT ... RETURNING returns no rows;
 * - end_modify() at the end of the statement.
 */
#include "host.h"

#include "access/table.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/optimizer.h"
#include "utils/memutils.h"
#include "utils/rel.h"

typedef struct HostModifyState
{
	PyObject			 *instance; /* owned */
	char				 *rowid_name;
	Oid					  rowid_type;
	AttrNumber			  rowid_junk;	  /* in the subplan's target list; Invalid if absent */
	AttrNumber			 *junk_by_column; /* DELETE RETURNING: junk attno per table column (Invalid if absent) */
	HostColumn			 *columns;
	StringInfo			  buffer;
	MemoryContextCallback release;
} HostModifyState;

static void
release_modify(void *arg)
{
	HostModifyState *state = (HostModifyState *) arg;

	if (Py_IsInitialized())
		Py_CLEAR(state->instance);
}

/* instance.rowid_column as a palloc'd string; the Python error (NotImplementedError) otherwise. */
static char *
rowid_column_of(PyObject *instance)
{
	PyObject   *value = PyObject_GetAttrString(instance, "rowid_column");
	const char *name;
	char	   *result;

	if (value == NULL)
		host_raise_python_error();
	if (value == Py_None)
	{
		Py_DECREF(value);
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR), errmsg("This FDW does not support the writable API")));
	}
	name = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;
	if (name == NULL)
	{
		Py_DECREF(value);
		if (!PyErr_Occurred())
			ereport(ERROR, (errcode(ERRCODE_FDW_ERROR), errmsg("rowid_column must be a column name (str)")));
		host_raise_python_error();
	}
	result = pstrdup(name);
	Py_DECREF(value);
	return result;
}

void
hostAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte, Relation target_relation)
{
	TupleDesc desc = RelationGetDescr(target_relation);
	PyObject *instance = host_instance_for(RelationGetRelid(target_relation));
	char	 *rowid = rowid_column_of(instance);
	Var		 *rowid_var = NULL;
	ListCell *lc;
	int		  i;

	if (root->parse->commandType == CMD_UPDATE)
	{
		/* update() receives every column of the new row; the rowid column is among them. */
		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped)
				add_row_identity_var(root,
									 makeVar(rtindex, att->attnum, att->atttypid, att->atttypmod, att->attcollation, 0),
									 rtindex, pstrdup(NameStr(att->attname)));
		}
		return;
	}

	/* DELETE: the columns RETURNING reads, so that the returned row can be rebuilt, then the rowid. */
	foreach(lc, pull_var_clause((Node *) root->parse->returningList, PVC_RECURSE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS))
	{
		Var *var = (Var *) lfirst(lc);

		if (!IsA(var, Var) || var->varno != rtindex || var->varlevelsup != 0)
			continue;
		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (att->attisdropped || (var->varattno != 0 && var->varattno != att->attnum))
				continue;
			add_row_identity_var(root,
								 makeVar(rtindex, att->attnum, att->atttypid, att->atttypmod, att->attcollation, 0),
								 rtindex, pstrdup(NameStr(att->attname)));
		}
	}
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), rowid) == 0)
		{
			rowid_var = makeVar(rtindex, att->attnum, att->atttypid, att->atttypmod, att->attcollation, 0);
			break;
		}
	}
	if (rowid_var == NULL)
		ereport(ERROR, (errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND), errmsg("The rowid attribute does not exist")));
	add_row_identity_var(root, rowid_var, rtindex, rowid);
}

List *
hostPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index)
{
	return NIL;
}

static HostModifyState *
start_modify(ResultRelInfo *rinfo, Plan *subplan)
{
	Relation		 rel = rinfo->ri_RelationDesc;
	TupleDesc		 desc = RelationGetDescr(rel);
	HostModifyState *state = palloc0(sizeof(HostModifyState));
	PyObject		*instance;
	int				 i;

	state->columns = host_columns_for(desc);
	state->buffer = makeStringInfo();
	state->release.func = release_modify;
	state->release.arg = state;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &state->release);
	rinfo->ri_FdwState = state;

	instance = host_instance_for(RelationGetRelid(rel));
	Py_INCREF(instance);
	state->instance = instance;
	state->rowid_name = rowid_column_of(instance);
	state->rowid_junk = InvalidAttrNumber;
	state->junk_by_column = palloc0(sizeof(AttrNumber) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		if (state->columns[i].dropped)
			continue;
		if (strcmp(state->columns[i].attname, state->rowid_name) == 0)
			state->rowid_type = state->columns[i].typoid;
		if (subplan != NULL)
			state->junk_by_column[i] = ExecFindJunkAttributeInTlist(subplan->targetlist, state->columns[i].attname);
	}
	if (subplan != NULL)
		state->rowid_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, state->rowid_name);
	return state;
}

void
hostBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
					   int eflags)
{
	PlanState *outer = outerPlanState(mtstate);

	start_modify(rinfo, outer != NULL ? outer->plan : NULL);
}

/* COPY FROM and tuple routing into a partition insert through here (multicorn2 lacks these two). */
void
hostBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	start_modify(rinfo, NULL);
}

void
hostEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	hostEndForeignModify(estate, rinfo);
}

static HostModifyState *
modify_state(ResultRelInfo *rinfo)
{
	HostModifyState *state = (HostModifyState *) rinfo->ri_FdwState;

	if (state == NULL || state->instance == NULL)
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
						errmsg("multicorn host: foreign table \"%s\" was modified without BeginForeignModify",
							   RelationGetRelationName(rinfo->ri_RelationDesc))));
	return state;
}

/* Replaces the row in `slot` by what the wrapper returned, unless it returned None. Consumes `result`. */
static void
apply_returned_row(PyObject *result, TupleTableSlot *slot, HostModifyState *state)
{
	if (result == Py_None)
	{
		Py_DECREF(result);
		return;
	}
	PG_TRY();
	{
		host_python_row_to_slot(result, slot, state->columns, state->buffer);
	}
	PG_CATCH();
	{
		Py_DECREF(result);
		PG_RE_THROW();
	}
	PG_END_TRY();
	Py_DECREF(result);
}

/* Calls instance.method(first[, second]), consuming the argument references. */
static PyObject *
call_consuming(HostModifyState *state, const char *method, PyObject *first, PyObject *second)
{
	PyObject *args = second != NULL ? PyTuple_Pack(2, first, second) : PyTuple_Pack(1, first);
	PyObject *result;

	Py_DECREF(first);
	Py_XDECREF(second);
	if (args == NULL)
		host_raise_python_error();
	PG_TRY();
	{
		result = host_call_method(state->instance, method, args, NULL);
	}
	PG_CATCH();
	{
		Py_DECREF(args);
		PG_RE_THROW();
	}
	PG_END_TRY();
	Py_DECREF(args);
	return result;
}

TupleTableSlot *
hostExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	HostModifyState *state = modify_state(rinfo);
	PyObject		*values = host_slot_to_python_dict(slot, state->columns);

	apply_returned_row(call_consuming(state, "insert", values, NULL), slot, state);
	return slot;
}

TupleTableSlot **
hostExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots, TupleTableSlot **planSlots,
						   int *numSlots)
{
	HostModifyState *state = modify_state(rinfo);
	PyObject		*rows = PyList_New(0);
	PyObject		*result;
	int				 i;

	if (rows == NULL)
		host_raise_python_error();
	for (i = 0; i < *numSlots; i++)
	{
		PyObject *values;

		PG_TRY();
		{
			values = host_slot_to_python_dict(slots[i], state->columns);
		}
		PG_CATCH();
		{
			Py_DECREF(rows);
			PG_RE_THROW();
		}
		PG_END_TRY();
		PyList_Append(rows, values);
		Py_DECREF(values);
	}
	result = call_consuming(state, "bulk_insert", rows, NULL);
	if (result == Py_None)
	{
		Py_DECREF(result);
		return slots;
	}
	if (!PyList_Check(result) || PyList_Size(result) != *numSlots)
	{
		Py_DECREF(result);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR), errmsg("Returned list size does not match number of inserted values")));
	}
	for (i = 0; i < *numSlots; i++)
	{
		PyObject *row = PyList_GET_ITEM(result, i);

		Py_INCREF(row);
		PG_TRY();
		{
			apply_returned_row(row, slots[i], state);
		}
		PG_CATCH();
		{
			Py_DECREF(result);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	Py_DECREF(result);
	return slots;
}

int
hostGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	HostModifyState *state = (HostModifyState *) rinfo->ri_FdwState;
	PyObject		*instance = state != NULL && state->instance != NULL ?
									state->instance :
									host_instance_for(RelationGetRelid(rinfo->ri_RelationDesc));
	PyObject		*value = PyObject_GetAttrString(instance, "modify_batch_size");
	long			 size;

	if (value == NULL)
		host_raise_python_error();
	if (value == Py_None)
	{
		Py_DECREF(value);
		return 1;
	}
	size = PyLong_AsLong(value);
	Py_DECREF(value);
	host_check_python();
	return size < 1 ? 1 : (int) Min(size, (long) PG_INT32_MAX);
}

/* The rowid value of the row being updated or deleted, as Python (None if NULL). */
static PyObject *
rowid_value(HostModifyState *state, TupleTableSlot *planSlot)
{
	Datum	  value;
	bool	  isnull;
	PyObject *result;

	if (state->rowid_junk == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND), errmsg("The rowid_column could not be identified")));
	value = ExecGetJunkAttribute(planSlot, state->rowid_junk, &isnull);
	if (isnull)
		Py_RETURN_NONE;
	result = host_datum_to_python(value, state->rowid_type);
	if (result == NULL)
		host_raise_python_error();
	return result;
}

TupleTableSlot *
hostExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	HostModifyState *state = modify_state(rinfo);
	PyObject		*newvalues = host_slot_to_python_dict(slot, state->columns);
	PyObject		*rowid;

	PG_TRY();
	{
		rowid = rowid_value(state, planSlot);
	}
	PG_CATCH();
	{
		Py_DECREF(newvalues);
		PG_RE_THROW();
	}
	PG_END_TRY();
	apply_returned_row(call_consuming(state, "update", rowid, newvalues), slot, state);
	return slot;
}

/* The row a DELETE returns when delete() returned None: the values the scan produced. */
static void
deleted_row_from_plan(HostModifyState *state, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	TupleDesc desc = slot->tts_tupleDescriptor;
	int		  i;

	ExecClearTuple(slot);
	for (i = 0; i < desc->natts; i++)
	{
		if (state->columns[i].dropped || state->junk_by_column[i] == InvalidAttrNumber)
		{
			slot->tts_values[i] = (Datum) 0;
			slot->tts_isnull[i] = true;
			continue;
		}
		slot->tts_values[i] = ExecGetJunkAttribute(planSlot, state->junk_by_column[i], &slot->tts_isnull[i]);
	}
	ExecStoreVirtualTuple(slot);
}

TupleTableSlot *
hostExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	HostModifyState *state = modify_state(rinfo);
	PyObject		*result = call_consuming(state, "delete", rowid_value(state, planSlot), NULL);

	if (result == Py_None)
	{
		Py_DECREF(result);
		deleted_row_from_plan(state, slot, planSlot);
		return slot;
	}
	apply_returned_row(result, slot, state);
	return slot;
}

void
hostEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	HostModifyState *state = (HostModifyState *) rinfo->ri_FdwState;

	if (state == NULL || state->instance == NULL)
		return;
	host_call_method_void(state->instance, "end_modify", NULL);
	release_modify(state);
}
