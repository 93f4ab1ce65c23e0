/*
 * Planner callbacks, with multicorn2 3.x's cost model and pushdowns (src/multicorn.c, src/query.c there):
 *
 * - get_rel_size(quals, columns) -> (rows, width); `columns` is the set of column names the query needs,
 *   `quals` the constant quals. Every path starts at the wrapper's `_startup_cost` and costs rows * width.
 * - get_path_keys() -> [((column, ...), rows), ...]: for each entry whose every column is joined by an
 *   equality to other relations, a parameterized path returning `rows` rows per outer row (the join then
 *   runs as a nested loop of lookups, the outer value reaching execute() as an `=` qual).
 * - can_sort([SortKey, ...]) -> the keys the wrapper sorts by: paths with those pathkeys are added and
 *   execute() receives sortkeys=.
 * - can_limit(limit, offset): asked only when nothing else remains above the scan (no WHERE, no join, no
 *   grouping, the sort, if any, pushed); when True, LIMIT/OFFSET disappear from the plan and execute()
 *   receives limit=/offset=.
 */
#include "host.h"

#include "access/table.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* Columns the scan must return: referenced by the target list or the restrictions. */
static List *
needed_columns(RelOptInfo *baserel, HostColumn *columns, int natts, bool whole_row)
{
	bool	 *needed = palloc0(sizeof(bool) * Max(natts, 1));
	List	 *vars = NIL;
	List	 *names = NIL;
	ListCell *lc;
	int		  i;

	vars = pull_var_clause((Node *) baserel->reltarget->exprs, PVC_RECURSE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS);
	foreach(lc, baserel->baserestrictinfo)
		vars = list_concat(vars, pull_var_clause((Node *) ((RestrictInfo *) lfirst(lc))->clause,
												 PVC_RECURSE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS));
	foreach(lc, vars)
	{
		Var *var = (Var *) lfirst(lc);

		if (!IsA(var, Var) || var->varno != baserel->relid)
			continue;
		if (var->varattno == 0)
			whole_row = true;
		else if (var->varattno > 0 && var->varattno <= natts)
			needed[var->varattno - 1] = true;
	}
	for (i = 0; i < natts; i++)
	{
		if (!columns[i].dropped && (whole_row || needed[i]))
			names = lappend(names, makeString(columns[i].attname));
	}
	return names;
}

void
hostGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid ftid)
{
	HostPlanState *state = palloc0(sizeof(HostPlanState));
	Relation	   rel;
	bool		   whole_row;
	ListCell	  *lc;
	PyObject	  *p_quals, *p_columns, *size, *startup;
	long		   rows, width;

	baserel->fdw_private = state;
	state->ftid = ftid;
	state->scan_rel = baserel;
	state->instance = host_instance_for(ftid);

	rel = table_open(ftid, NoLock);
	state->natts = RelationGetNumberOfAttributes(rel);
	state->columns = host_column_names_for(RelationGetDescr(rel), false);
	/* An AFTER INSERT row trigger needs whole rows (multicorn2 asks for every column then). */
	whole_row = rel->trigdesc != NULL && rel->trigdesc->trig_insert_after_row;
	table_close(rel, NoLock);

	state->target_names = needed_columns(baserel, state->columns, state->natts, whole_row);
	foreach(lc, baserel->baserestrictinfo)
		host_extract_quals(root, baserel->relids, ((RestrictInfo *) lfirst(lc))->clause, &state->quals);

	p_quals = host_quals_to_python(state->quals, state->columns, HOST_QUALS_CONSTANTS_ONLY, NIL, NULL);
	PG_TRY();
	{
		p_columns = host_names_to_pyset(state->target_names);
	}
	PG_CATCH();
	{
		Py_DECREF(p_quals);
		PG_RE_THROW();
	}
	PG_END_TRY();
	size = PyObject_CallMethodObjArgs(state->instance, host_name("get_rel_size"), p_quals, p_columns, NULL);
	Py_DECREF(p_quals);
	Py_DECREF(p_columns);
	if (size == NULL)
		host_raise_python_error();
	if (!PyTuple_Check(size) || PyTuple_Size(size) != 2)
	{
		Py_DECREF(size);
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
						errmsg("The get_rel_size python method should return a tuple of length 2")));
	}
	{
		PyObject *p_rows = PyNumber_Long(PyTuple_GET_ITEM(size, 0));
		PyObject *p_width = p_rows != NULL ? PyNumber_Long(PyTuple_GET_ITEM(size, 1)) : NULL;

		rows = p_rows != NULL ? PyLong_AsLong(p_rows) : 0;
		width = p_width != NULL ? PyLong_AsLong(p_width) : 0;
		Py_XDECREF(p_rows);
		Py_XDECREF(p_width);
		Py_DECREF(size);
		host_check_python();
	}
	startup = PyObject_GetAttr(state->instance, host_name("_startup_cost"));
	if (startup == NULL)
		host_raise_python_error();
	{
		PyObject *p_startup = PyNumber_Long(startup);

		Py_DECREF(startup);
		if (p_startup == NULL)
			host_raise_python_error();
		state->startup_cost = (int) PyLong_AsLong(p_startup);
		Py_DECREF(p_startup);
		host_check_python();
	}
	baserel->rows = (double) rows;
	baserel->reltarget->width = (int) width;
	state->width = (int) width;
}

/* Does `clause` mention column `attnum` of relation `relid`? */
static bool
clause_mentions(RestrictInfo *rinfo, Index relid, AttrNumber attnum)
{
	List	 *vars = pull_var_clause((Node *) rinfo->clause, PVC_RECURSE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS);
	ListCell *lc;

	foreach(lc, vars)
	{
		Var *var = (Var *) lfirst(lc);

		if (IsA(var, Var) && var->varno == relid && var->varattno == attnum)
			return true;
	}
	return false;
}

/*
 * The join clauses that bind every column of `attnums`, as written (multicorn2 query.c findPaths: the
 * equivalence classes' source clauses, then the outer-join clauses), and in `outer` the relations they need;
 * NIL when a column has none.
 */
static List *
join_clauses_for(PlannerInfo *root, RelOptInfo *baserel, List *attnums, Relids *outer)
{
	List	 *clauses = NIL;
	ListCell *lc;

	*outer = NULL;
	foreach(lc, attnums)
	{
		AttrNumber attnum = lfirst_int(lc);
		bool	   found = false;
		ListCell  *ec_lc;

		foreach(ec_lc, root->eq_classes)
		{
			EquivalenceClass *ec = (EquivalenceClass *) lfirst(ec_lc);
			ListCell		 *ri_lc;

			/* One member: an outer join's or a sort's class, nothing to join on. */
			if (list_length(ec->ec_members) <= 1)
				continue;
			foreach(ri_lc, ec->ec_sources)
			{
				RestrictInfo *rinfo = (RestrictInfo *) lfirst(ri_lc);

				if (clause_mentions(rinfo, baserel->relid, attnum))
				{
					found = true;
					clauses = lappend(clauses, rinfo);
					*outer = bms_union(*outer, ec->ec_relids);
				}
			}
		}
		foreach(ec_lc, list_concat(list_copy(root->left_join_clauses), root->right_join_clauses))
		{
			RestrictInfo *rinfo = (RestrictInfo *) lfirst(ec_lc);

			if (IsA(rinfo, RestrictInfo) && clause_mentions(rinfo, baserel->relid, attnum))
			{
				found = true;
				clauses = lappend(clauses, rinfo);
				*outer = bms_union(*outer, rinfo->outer_relids);
			}
		}
		if (!found)
			return NIL;
	}
	*outer = bms_del_member(*outer, baserel->relid);
	return clauses;
}

/*
 * A foreign scan path. `param_info` (a parameterized path) is set as is, not derived by PostgreSQL, so that
 * its clauses are the ones multicorn2 gives it: EXPLAIN then shows them as the query wrote them.
 */
static ForeignPath *
foreign_path(PlannerInfo *root, RelOptInfo *baserel, double rows, Cost startup_cost, Cost total_cost, List *pathkeys,
			 ParamPathInfo *param_info, List *fdw_private)
{
	ForeignPath *path =
		create_foreignscan_path(root, baserel, NULL, rows, startup_cost, total_cost, pathkeys, NULL, NULL, fdw_private);

	path->path.param_info = param_info;
	return path;
}

/* Parameterized paths from get_path_keys(). */
static List *
parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, HostPlanState *state)
{
	PyObject *declared = PyObject_CallMethodNoArgs(state->instance, host_name("get_path_keys"));
	PyObject *iterator;
	PyObject *item;
	List	 *paths = NIL;
	List	 *entries = NIL; /* (attnums, rows) pairs collected before planning anything */
	ListCell *lc;

	if (declared == NULL)
		host_raise_python_error();
	iterator = PyObject_GetIter(declared);
	Py_DECREF(declared);
	if (iterator == NULL)
		host_raise_python_error();
	while ((item = PyIter_Next(iterator)) != NULL)
	{
		PyObject  *keys = PySequence_GetItem(item, 0);
		PyObject  *p_rows = keys != NULL ? PySequence_GetItem(item, 1) : NULL;
		PyObject  *p_rows_long = p_rows != NULL ? PyNumber_Long(p_rows) : NULL;
		Py_ssize_t nkeys = keys != NULL ? PySequence_Size(keys) : -1;
		List	  *attnums = NIL;
		Py_ssize_t i;

		Py_DECREF(item);
		Py_XDECREF(p_rows);
		if (p_rows_long == NULL || nkeys < 0)
		{
			Py_XDECREF(keys);
			Py_XDECREF(p_rows_long);
			Py_DECREF(iterator);
			host_raise_python_error();
		}
		for (i = 0; i < nkeys; i++)
		{
			PyObject   *key = PySequence_GetItem(keys, i);
			const char *name = key != NULL && PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
			int			j;

			PyErr_Clear();
			for (j = 0; name != NULL && j < state->natts; j++)
			{
				if (!state->columns[j].dropped && strcmp(state->columns[j].attname, name) == 0)
				{
					attnums = list_append_unique_int(attnums, j + 1);
					break;
				}
			}
			Py_XDECREF(key);
		}
		entries = lappend(entries, list_make2(attnums, makeInteger((int) PyLong_AsLong(p_rows_long))));
		Py_DECREF(keys);
		Py_DECREF(p_rows_long);
	}
	Py_DECREF(iterator);
	host_check_python();

	foreach(lc, entries)
	{
		List		  *entry = (List *) lfirst(lc);
		List		  *attnums = (List *) linitial(entry);
		double		   rows = (double) intVal(lsecond(entry));
		Relids		   required_outer;
		List		  *clauses;
		ParamPathInfo *param_info;

		if (attnums == NIL)
			continue;
		clauses = join_clauses_for(root, baserel, attnums, &required_outer);
		if (clauses == NIL || bms_is_empty(required_outer))
			continue;
		param_info = makeNode(ParamPathInfo);
		param_info->ppi_req_outer = required_outer;
		param_info->ppi_rows = rows;
		param_info->ppi_clauses = clauses;
		paths = lappend(
			paths, foreign_path(root, baserel, rows, state->startup_cost, rows * state->width, NIL, param_info, NIL));
	}
	return paths;
}

/* The prefix of the requested sort the wrapper accepts (can_sort), or NIL. */
static List *
accepted_sort(PlannerInfo *root, RelOptInfo *baserel, HostPlanState *state)
{
	List	  *wanted = host_deparse_sort(root, baserel, state->ftid);
	PyObject  *p_wanted, *accepted;
	Py_ssize_t naccepted, i;
	bool	  *accepted_attnums;
	List	  *result = NIL;
	ListCell  *lc;

	if (wanted == NIL)
		return NIL;
	p_wanted = host_sortkeys_to_python(wanted);
	accepted = PyObject_CallMethodOneArg(state->instance, host_name("can_sort"), p_wanted);
	Py_DECREF(p_wanted);
	if (accepted == NULL)
		host_raise_python_error();
	naccepted = PySequence_Size(accepted);
	if (naccepted < 0)
	{
		Py_DECREF(accepted);
		host_raise_python_error();
	}
	accepted_attnums = palloc0(sizeof(bool) * (state->natts + 1));
	for (i = 0; i < naccepted; i++)
	{
		PyObject *key = PySequence_GetItem(accepted, i);
		PyObject *attnum = key != NULL ? PyObject_GetAttrString(key, "attnum") : NULL;
		long	  value = attnum != NULL ? PyLong_AsLong(attnum) : -1;

		Py_XDECREF(key);
		Py_XDECREF(attnum);
		if (PyErr_Occurred())
		{
			Py_DECREF(accepted);
			host_raise_python_error();
		}
		if (value >= 1 && value <= state->natts)
			accepted_attnums[value] = true;
	}
	Py_DECREF(accepted);
	foreach(lc, wanted)
	{
		HostSortKey *key = (HostSortKey *) lfirst(lc);

		if (!accepted_attnums[key->attnum])
			break;
		result = lappend(result, key);
	}
	return result;
}

static List *
path_private(List *sortkeys, int limit, int offset)
{
	return list_make3(host_sortkeys_to_nodes(sortkeys), makeInteger(limit), makeInteger(offset));
}

void
hostGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid ftid)
{
	HostPlanState *state = (HostPlanState *) baserel->fdw_private;
	List		  *paths = parameterized_paths(root, baserel, state);
	List		  *sortkeys = NIL;
	List		  *pathkeys = NIL;
	ListCell	  *lc;

	paths = lappend(paths, foreign_path(root, baserel, baserel->rows, state->startup_cost, baserel->rows * state->width,
										NIL, NULL, NIL));
	if (root->query_pathkeys != NIL)
		sortkeys = accepted_sort(root, baserel, state);
	foreach(lc, sortkeys)
		pathkeys = lappend(pathkeys, ((HostSortKey *) lfirst(lc))->pathkey);
	state->sortkeys = sortkeys;
	state->sort_pushed_down = sortkeys != NIL && pathkeys_contained_in(root->sort_pathkeys, pathkeys);

	foreach(lc, paths)
	{
		ForeignPath *path = (ForeignPath *) lfirst(lc);

		add_path(baserel, (Path *) path);
		if (sortkeys != NIL)
			add_path(baserel, (Path *) foreign_path(root, baserel, path->path.rows, path->path.startup_cost,
													path->path.total_cost, pathkeys, path->path.param_info,
													path_private(sortkeys, -1, -1)));
	}
}

static bool
const_int_or_absent(Node *node, int *value)
{
	Const *constant;

	*value = -1;
	if (node == NULL)
		return true;
	if (!IsA(node, Const))
		return false;
	constant = (Const *) node;
	if (constant->constisnull)
		return false;
	*value = (int) Min(DatumGetInt64(constant->constvalue), (int64) PG_INT32_MAX);
	return true;
}

void
hostGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel, RelOptInfo *output_rel,
						 void *extra)
{
	HostPlanState	   *state = (HostPlanState *) input_rel->fdw_private;
	FinalPathExtraData *final_extra = (FinalPathExtraData *) extra;
	Query			   *parse = root->parse;
	int					limit, offset;
	PyObject		   *answer;
	bool				accepted;

	/* Only a scan whose own rel (or pushed-down sort) we planned can carry more. */
	if (state == NULL)
		return;
	if (stage == UPPERREL_ORDERED)
	{
		if (state->sort_pushed_down)
			output_rel->fdw_private = state;
		return;
	}
	if (stage != UPPERREL_FINAL || !final_extra->limit_needed)
		return;
	if (parse->commandType != CMD_SELECT || parse->limitOption == LIMIT_OPTION_WITH_TIES ||
		parse->jointree->quals != NULL || parse->rowMarks != NIL || parse->hasTargetSRFs)
		return;
	if (!const_int_or_absent(parse->limitCount, &limit) || !const_int_or_absent(parse->limitOffset, &offset))
		return;

	answer = PyObject_CallMethod(state->instance, "can_limit", "NN",
								 limit >= 0 ? PyLong_FromLong(limit) : (Py_INCREF(Py_None), Py_None),
								 offset >= 0 ? PyLong_FromLong(offset) : (Py_INCREF(Py_None), Py_None));
	if (answer == NULL)
		host_raise_python_error();
	accepted = PyObject_IsTrue(answer) == 1;
	Py_DECREF(answer);
	host_check_python();
	if (!accepted)
		return;

	/* The path belongs to the scan rel (so it plans as a plain foreign scan) but is offered as the final one. */
	add_path(output_rel,
			 (Path *) create_foreign_upper_path(root, state->scan_rel, root->upper_targets[UPPERREL_FINAL],
												limit >= 0 ? limit : state->scan_rel->rows, state->startup_cost,
												(limit >= 0 ? limit : state->scan_rel->rows) * state->width, NIL, NULL,
												path_private(state->sortkeys, limit, offset)));
}

ForeignScan *
hostGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid ftid, ForeignPath *best_path, List *tlist,
				   List *scan_clauses, Plan *outer_plan)
{
	HostPlanState *state = (HostPlanState *) baserel->fdw_private;
	List		  *sort_nodes = NIL;
	int			   limit = -1;
	int			   offset = -1;
	List		  *fdw_private;
	ListCell	  *lc;

	scan_clauses = extract_actual_clauses(scan_clauses, false);
	/*
	 * multicorn2 extracts the clauses of a parameterized path once more here, for nothing but its WARNINGs
	 * (the scan extracts them again from fdw_exprs).
	 */
	if (best_path->path.param_info != NULL)
	{
		List *unused = NIL;

		foreach(lc, scan_clauses)
			host_extract_quals(root, baserel->relids, (Expr *) lfirst(lc), &unused);
	}
	if (best_path->fdw_private != NIL)
	{
		sort_nodes = (List *) linitial(best_path->fdw_private);
		limit = intVal(lsecond(best_path->fdw_private));
		offset = intVal(lthird(best_path->fdw_private));
	}
	fdw_private = list_make4(state->target_names, sort_nodes, makeInteger(limit), makeInteger(offset));
	/* Every clause is both shown to the wrapper (fdw_exprs) and rechecked by PostgreSQL (qual). */
	return make_foreignscan(tlist, scan_clauses, baserel->relid, scan_clauses, fdw_private, NIL, NIL, outer_plan);
}
