/*
 * pymcache_fdw's transaction guard: what the Python wrapper cannot refuse by itself, because Multicorn gives it no
 * hook there.
 *
 * - PREPARE TRANSACTION: memcached has no two-phase commit, and Multicorn (multicorn2 as well as the project's host)
 *   calls no wrapper method on PREPARE, so a prepared transaction's writes would sit in the backend until its next
 *   transaction sent them, whatever COMMIT PREPARED or ROLLBACK PREPARED said. A transaction that used a cache table
 *   cannot be prepared (as postgres_fdw refuses for its tables).
 * - INSERT ... ON CONFLICT: PostgreSQL lets a foreign table take ON CONFLICT DO NOTHING and leaves it to the FDW's
 *   planner callback, which Multicorn does not pass on: the wrapper would overwrite (or fail on) the existing key.
 *   Such a statement on a cache table is refused before it inserts anything.
 * - COPY FROM into a cache table, and INSERT or COPY routed into a cache table that is a partition: multicorn2 3.2
 *   has no BeginForeignInsert, so PostgreSQL calls its ExecForeignInsert without the state it sets up and the backend
 *   crashes (the postmaster then restarts every backend). Refused where the table's FDW lacks BeginForeignInsert; the
 *   project's own host has it, and there COPY works.
 *
 * It also tells the wrapper about the query running now (the innermost ExecutorRun), which Multicorn does not: whether
 * it may modify anything (a scan under a plain SELECT need not remember what it read for an UPDATE), and whether every
 * collation-aware comparison on a cache table's scan compares bytewise (C collation), so that a key range can be
 * applied while memcached lists its keys. And about the query being planned (the innermost planner call): whether its
 * only cache table is looked up by `key = $n`, which Multicorn hands get_rel_size no trace of in a generic plan, so
 * that the generic plan of a prepared lookup is costed as the lookup it is rather than as a listing.
 *
 * The wrapper loads this library with ctypes from inside the backend and calls pymcache_fdw_guard_note_use() when a
 * cache table joins a transaction; the first call registers the callbacks. Named in session_preload_libraries, it is
 * in place from the session's first statement (which matters on multicorn2, where a COPY as a session's very first
 * use of a cache table would otherwise reach the crash before the wrapper ever loaded this). Nothing here calls
 * Python.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

/* The `wrapper` option of a server whose foreign tables are cache tables starts with this. */
#define WRAPPER_PREFIX "pymcache_fdw."

static bool guard_installed = false;
static bool cache_used_in_transaction = false;
/* The query whose ExecutorRun is innermost now, or NULL (none, or one that started before the guard was installed). */
static QueryDesc *running_query = NULL;
/* The query whose planning is innermost now, or NULL. */
static Query *planning_query = NULL;

static ExecutorRun_hook_type	previous_executor_run = NULL;
static ProcessUtility_hook_type previous_process_utility = NULL;
static planner_hook_type		previous_planner = NULL;

void				   _PG_init(void);
extern PGDLLEXPORT int pymcache_fdw_guard_note_use(void);
extern PGDLLEXPORT int pymcache_fdw_guard_install(void);
extern PGDLLEXPORT int pymcache_fdw_guard_query_may_modify(void);
extern PGDLLEXPORT int pymcache_fdw_guard_key_order_is_bytewise(void);
extern PGDLLEXPORT int pymcache_fdw_guard_planned_key_rows(const char *column);
extern PGDLLEXPORT int pymcache_fdw_guard_mapping_violation(const char *allowed, char *found, int found_size);
/* default_table.c: the setting pymcache_fdw.default_table of the memcache_* functions */
extern void pymc_define_settings(void);

/* Whether `server`'s Multicorn wrapper is one of ours. */
static bool
is_cache_server(ForeignServer *server)
{
	ListCell *cell;

	foreach(cell, server->options)
	{
		DefElem *option = (DefElem *) lfirst(cell);

		if (strcmp(option->defname, "wrapper") == 0)
			return strncmp(defGetString(option), WRAPPER_PREFIX, strlen(WRAPPER_PREFIX)) == 0;
	}
	return false;
}

/* Whether the foreign table `relid` belongs to a server whose Multicorn wrapper is one of ours. */
static bool
is_cache_table(Oid relid)
{
	return is_cache_server(GetForeignServer(GetForeignTable(relid)->serverid));
}

/*
 * Refuses rows routed into cache tables whose FDW has no BeginForeignInsert (multicorn2): `relid` itself for COPY
 * FROM, and every partition of a partitioned `relid` for COPY and INSERT. `command` names the statement.
 */
static void
refuse_crashing_insert(Oid relid, const char *command)
{
	List	 *relations = list_make1_oid(relid);
	ListCell *cell;

	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		relations = find_all_inheritors(relid, NoLock, NULL);
	foreach(cell, relations)
	{
		Oid target = lfirst_oid(cell);

		if (get_rel_relkind(target) != RELKIND_FOREIGN_TABLE || !is_cache_table(target))
			continue;
		if (GetFdwRoutineByRelId(target)->BeginForeignInsert != NULL)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s into cache table \"%s\" is not supported on this Multicorn", command, get_rel_name(target)),
				 errdetail("Multicorn has no BeginForeignInsert: the row would reach the wrapper without the state "
						   "PostgreSQL sets up for it, and the server would crash."),
				 errhint("INSERT INTO the cache table itself, with INSERT ... SELECT instead of COPY.")));
	}
}

/* Refuses a ModifyTable node that inserts into a cache table with ON CONFLICT. */
static void
refuse_on_conflict(ModifyTableState *state)
{
	ModifyTable *node = (ModifyTable *) state->ps.plan;
	int			 i;

	if (node->operation != CMD_INSERT)
		return;
	for (i = 0; i < state->mt_nrels; i++)
	{
		Relation relation = state->resultRelInfo[i].ri_RelationDesc;

		if (relation->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
			refuse_crashing_insert(RelationGetRelid(relation), "INSERT routed");
	}
	if (node->onConflictAction == ONCONFLICT_NONE)
		return;
	for (i = 0; i < state->mt_nrels; i++)
	{
		Relation relation = state->resultRelInfo[i].ri_RelationDesc;

		if (relation->rd_rel->relkind == RELKIND_FOREIGN_TABLE && is_cache_table(RelationGetRelid(relation)))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("INSERT ... ON CONFLICT is not supported on cache table \"%s\"",
							RelationGetRelationName(relation)),
					 errdetail("Multicorn does not tell the wrapper about ON CONFLICT, so the INSERT would overwrite "
							   "existing keys."),
					 errhint("Use a table with insert_mode 'add' (an existing key is an ERROR), or memcache_add(), "
							 "which returns false for an existing key.")));
	}
}

static void
guard_executor_run(QueryDesc *query, ScanDirection direction, uint64 count, bool execute_once)
{
	if (query->operation == CMD_INSERT || query->plannedstmt->hasModifyingCTE)
	{
		ListCell *cell;

		if (query->planstate != NULL && IsA(query->planstate, ModifyTableState))
			refuse_on_conflict((ModifyTableState *) query->planstate);
		/* Data-modifying CTEs run as auxiliary ModifyTable nodes. */
		foreach(cell, query->estate->es_auxmodifytables)
			refuse_on_conflict((ModifyTableState *) lfirst(cell));
	}
	{
		QueryDesc *outer = running_query;

		running_query = query;
		PG_TRY();
		{
			if (previous_executor_run != NULL)
				previous_executor_run(query, direction, count, execute_once);
			else
				standard_ExecutorRun(query, direction, count, execute_once);
		}
		PG_FINALLY();
		{
			running_query = outer;
		}
		PG_END_TRY();
	}
}

static PlannedStmt *
guard_planner(Query *parse, const char *query_string, int cursor_options, ParamListInfo bound_params)
{
	Query		*outer = planning_query;
	PlannedStmt *planned;

	planning_query = parse;
	PG_TRY();
	{
		if (previous_planner != NULL)
			planned = previous_planner(parse, query_string, cursor_options, bound_params);
		else
			planned = standard_planner(parse, query_string, cursor_options, bound_params);
	}
	PG_FINALLY();
	{
		planning_query = outer;
	}
	PG_END_TRY();
	return planned;
}

static void
guard_process_utility(PlannedStmt *statement, const char *query, bool read_only_tree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *environment, DestReceiver *dest,
					  QueryCompletion *completion)
{
	if (IsA(statement->utilityStmt, CopyStmt))
	{
		CopyStmt *copy = (CopyStmt *) statement->utilityStmt;

		if (copy->is_from && copy->relation != NULL)
		{
			Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);

			if (OidIsValid(relid))
				refuse_crashing_insert(relid, "COPY FROM");
		}
	}
	if (previous_process_utility != NULL)
		previous_process_utility(statement, query, read_only_tree, context, params, environment, dest, completion);
	else
		standard_ProcessUtility(statement, query, read_only_tree, context, params, environment, dest, completion);
}

static void
guard_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (cache_used_in_transaction)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has used pymcache_fdw cache tables"),
						 errdetail("memcached has no two-phase commit: the transaction's writes could be neither "
								   "held back until COMMIT PREPARED nor taken back by ROLLBACK PREPARED."),
						 errhint("COMMIT or ROLLBACK the transaction instead.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			cache_used_in_transaction = false;
			break;
		default:
			break;
	}
}

static void
install_guard(void)
{
	if (guard_installed)
		return;
	RegisterXactCallback(guard_xact_callback, NULL);
	previous_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = guard_executor_run;
	previous_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
	previous_planner = planner_hook;
	planner_hook = guard_planner;
	guard_installed = true;
}

void
_PG_init(void)
{
	install_guard();
	pymc_define_settings();
}

/* Finds an expression that compares or matches with a collation other than C (`found` is set). */
static bool
non_bytewise_walker(Node *node, bool *found)
{
	Oid collation = InvalidOid;

	if (node == NULL)
		return false;
	if (IsA(node, OpExpr))
		collation = ((OpExpr *) node)->inputcollid;
	else if (IsA(node, ScalarArrayOpExpr))
		collation = ((ScalarArrayOpExpr *) node)->inputcollid;
	else if (IsA(node, FuncExpr))
		collation = ((FuncExpr *) node)->inputcollid;
	else if (IsA(node, RowCompareExpr) || IsA(node, MinMaxExpr))
		collation = exprInputCollation(node);
	if (OidIsValid(collation) && !lc_collate_is_c(collation))
	{
		*found = true;
		return true;
	}
	return expression_tree_walker(node, non_bytewise_walker, found);
}

/* Sets `found` when a cache table's scan in the plan tree below `state` has a condition that is not bytewise. */
static bool
cache_scan_walker(PlanState *state, bool *found)
{
	if (state == NULL)
		return false;
	if (IsA(state, ForeignScanState))
	{
		Relation relation = ((ScanState *) state)->ss_currentRelation;

		if (relation != NULL && is_cache_table(RelationGetRelid(relation)) &&
			non_bytewise_walker((Node *) state->plan->qual, found))
			return true;
	}
	return planstate_tree_walker(state, cache_scan_walker, found);
}

/*
 * Called by the wrapper through ctypes when a scan starts: 0 when the running query is a plain SELECT (no
 * data-modifying CTE), 1 when it may modify or is not known. Nothing here can fail.
 */
int
pymcache_fdw_guard_query_may_modify(void)
{
	QueryDesc *query = running_query;

	if (query == NULL)
		return 1;
	return query->operation != CMD_SELECT || query->plannedstmt->hasModifyingCTE ? 1 : 0;
}

/*
 * Called by the wrapper through ctypes before it applies a key range while memcached lists its keys: 1 when every
 * collation-aware operator or function in the conditions of the running query's cache table scans uses a C
 * collation (PostgreSQL then orders text bytewise, as the wrapper does), 0 when one does not, the query is not known,
 * or the check fails (no PostgreSQL error may escape into the Python frames that called it).
 */
int
pymcache_fdw_guard_key_order_is_bytewise(void)
{
	volatile int  bytewise = 0;
	MemoryContext context = CurrentMemoryContext;
	QueryDesc	 *query = running_query;

	if (query == NULL || query->planstate == NULL)
		return 0;
	PG_TRY();
	{
		bool	  found = false;
		ListCell *cell;

		cache_scan_walker(query->planstate, &found);
		foreach(cell, query->estate->es_subplanstates)
		{
			if (!found)
				cache_scan_walker((PlanState *) lfirst(cell), &found);
		}
		bytewise = found ? 0 : 1;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		FlushErrorState();
		bytewise = 0;
	}
	PG_END_TRY();
	return bytewise;
}

/*
 * Called by the wrapper through ctypes when a cache table joins the current transaction. Returns 1, or 0 when the
 * guard could not be installed (out of memory): no PostgreSQL error may escape into the Python frames that called it.
 */
int
pymcache_fdw_guard_note_use(void)
{
	if (!pymcache_fdw_guard_install())
		return 0;
	cache_used_in_transaction = true;
	return 1;
}

/* `node` without the binary-compatible relabelling PostgreSQL puts around a varchar compared as text. */
static Node *
strip_relabel(Node *node)
{
	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* `node` as the external parameter it is, or NULL. */
static Param *
external_param(Node *node)
{
	node = strip_relabel(node);
	if (node == NULL || !IsA(node, Param) || ((Param *) node)->paramkind != PARAM_EXTERN)
		return NULL;
	return (Param *) node;
}

/* Whether `node` is the column `column` of range entry `rtindex` (in this query, not an outer one). */
static bool
is_key_var(Node *node, Index rtindex, AttrNumber column)
{
	node = strip_relabel(node);
	return node != NULL && IsA(node, Var) && ((Var *) node)->varno == rtindex && ((Var *) node)->varlevelsup == 0 &&
		   ((Var *) node)->varattno == column;
}

/* Whether operator `opno` is named `=`. */
static bool
is_equality(Oid opno)
{
	char *name = get_opname(opno);

	return name != NULL && strcmp(name, "=") == 0;
}

/*
 * The rows a lookup condition `node` on the key column of range entry `rtindex` returns at most, or 0 when it is not
 * one: `key = $n` (either way round) 1. Not `key = ANY($n)`: its generic plan would recheck every row against the
 * array element by element (a constant array is hashed), 100 million instructions for 1,000 keys, so those keep
 * their custom plans.
 */
static int
key_condition_rows(Node *node, Index rtindex, AttrNumber column)
{
	if (node == NULL)
		return 0;
	if (IsA(node, OpExpr) && list_length(((OpExpr *) node)->args) == 2)
	{
		OpExpr *op = (OpExpr *) node;
		Node   *left = linitial(op->args);
		Node   *right = lsecond(op->args);

		if (((is_key_var(left, rtindex, column) && external_param(right) != NULL) ||
			 (is_key_var(right, rtindex, column) && external_param(left) != NULL)) &&
			is_equality(op->opno))
			return 1;
		return 0;
	}
	return 0;
}

/*
 * The fewest rows a lookup condition in the AND of conditions `quals` returns for range entry `rtindex` (0: none):
 * an AND clause or an implicit-AND list (the plan cache hands the planner its queries with the WHERE clause as a
 * list), nested too.
 */
static int
key_lookup_rows(Node *quals, Index rtindex, AttrNumber column)
{
	List	 *conditions;
	ListCell *cell;
	int		  fewest = 0;

	if (quals == NULL)
		return 0;
	if (IsA(quals, List))
		conditions = (List *) quals;
	else if (is_andclause(quals))
		conditions = ((BoolExpr *) quals)->args;
	else
		return key_condition_rows(quals, rtindex, column);
	foreach(cell, conditions)
	{
		int rows = key_lookup_rows(lfirst(cell), rtindex, column);

		if (rows > 0 && (fewest == 0 || rows < fewest))
			fewest = rows;
	}
	return fewest;
}

/* Counts the cache tables a query reads, in its subqueries, CTEs and sublinks too. */
static bool
cache_table_counter(Node *node, int *count)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *entry = (RangeTblEntry *) node;

		if (entry->rtekind == RTE_RELATION && entry->relkind == RELKIND_FOREIGN_TABLE && is_cache_table(entry->relid))
			(*count)++;
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, cache_table_counter, count, QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, cache_table_counter, count);
}

/*
 * Called by the wrapper through ctypes from get_rel_size when the quals it was given hold no key: when the query being
 * planned reads exactly one cache table and its WHERE clause (an AND of conditions) looks it up by `column = $n`, the
 * rows that lookup returns at most (1), whatever $n is; 0 otherwise, when no
 * query is being planned, or when the check fails (no PostgreSQL error may escape into the Python frames that called
 * it). Only a cost estimate depends on it.
 */
int
pymcache_fdw_guard_planned_key_rows(const char *column)
{
	volatile int  rows = 0;
	MemoryContext context = CurrentMemoryContext;
	Query		 *query = planning_query;

	if (query == NULL || column == NULL || query->jointree == NULL)
		return 0;
	PG_TRY();
	{
		Index	  rtindex = 0;
		Index	  index = 0;
		int		  cache_tables = 0;
		ListCell *cell;

		/* The one cache table must be a range entry of the query itself, where its WHERE clause can name it. */
		foreach(cell, query->rtable)
		{
			RangeTblEntry *entry = (RangeTblEntry *) lfirst(cell);

			index++;
			if (entry->rtekind == RTE_RELATION && entry->relkind == RELKIND_FOREIGN_TABLE &&
				is_cache_table(entry->relid))
				rtindex = index;
		}
		query_tree_walker(query, cache_table_counter, &cache_tables, QTW_EXAMINE_RTES_BEFORE);
		if (cache_tables == 1 && rtindex != 0)
		{
			AttrNumber attnum = get_attnum(rt_fetch(rtindex, query->rtable)->relid, column);

			if (attnum != InvalidAttrNumber)
				rows = key_lookup_rows(query->jointree->quals, rtindex, attnum);
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		FlushErrorState();
		rows = 0;
	}
	PG_END_TRY();
	return rows;
}

/*
 * Called by the wrapper through ctypes right after it loads this library (ctypes runs no _PG_init): the hooks are in
 * place from then on, so the next query planned is seen even before a cache table joins a transaction. Returns 1, or
 * 0 when they could not be installed (no PostgreSQL error may escape into the Python frames that called it).
 */
int
pymcache_fdw_guard_install(void)
{
	volatile int  installed = 1;
	MemoryContext context = CurrentMemoryContext;

	PG_TRY();
	{
		install_guard();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		FlushErrorState();
		installed = 0;
	}
	PG_END_TRY();
	return installed;
}

/* Whether `name` is one of the comma-separated names in `allowed`. */
static bool
is_listed(const char *name, const char *allowed)
{
	size_t		length = strlen(name);
	const char *start = allowed;

	while (*start != '\0')
	{
		const char *end = strchr(start, ',');
		size_t		item = end == NULL ? strlen(start) : (size_t) (end - start);

		if (item == length && strncmp(start, name, length) == 0)
			return true;
		if (end == NULL)
			break;
		start = end + 1;
	}
	return false;
}

/*
 * Called by the wrapper through ctypes when it builds a cache table's instance: looks for an option outside `allowed`
 * (comma-separated) in a user mapping of a cache server that applies to the current user (its own or PUBLIC's).
 * Multicorn merges the user mapping's options over the table's and the server's, and any role with USAGE on a server
 * may create its own mapping: such an option would let it choose the host, port or prefix the owner chose. Checked
 * here, not only by the extension's event trigger, because a database may load the wrapper without that trigger.
 * Returns 1 and writes "server\nOPTION" into `found` for the first such option, 0 when there is none, -1 when the
 * check failed (no PostgreSQL error may escape into the Python frames that called it).
 */
int
pymcache_fdw_guard_mapping_violation(const char *allowed, char *found, int found_size)
{
	volatile int  result = 0;
	MemoryContext context = CurrentMemoryContext;
	uint32		  holdoff = InterruptHoldoffCount;

	if (allowed == NULL || found == NULL || found_size <= 0)
		return -1;
	found[0] = '\0';
	/*
	 * A cancel arriving during the scan is acted on at the next CHECK_FOR_INTERRUPTS after it, outside: caught here it
	 * would turn into "could not check", and PostgreSQL's own reason would be lost.
	 */
	HOLD_INTERRUPTS();
	PG_TRY();
	{
		Oid			user = GetUserId();
		Relation	mappings = table_open(UserMappingRelationId, AccessShareLock);
		SysScanDesc scan = systable_beginscan(mappings, InvalidOid, false, NULL, 0, NULL);
		HeapTuple	tuple;

		while (result == 0 && HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_user_mapping mapping = (Form_pg_user_mapping) GETSTRUCT(tuple);
			ForeignServer		*server;
			Datum				 options;
			bool				 isnull;
			List				*names;
			ListCell			*cell;

			if (mapping->umuser != user && mapping->umuser != InvalidOid)
				continue;
			/* As Multicorn merges them: PUBLIC's mapping counts only for a user without one of its own. */
			if (mapping->umuser == InvalidOid && SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(user),
																	   ObjectIdGetDatum(mapping->umserver)))
				continue;
			server = GetForeignServer(mapping->umserver);
			if (!is_cache_server(server))
				continue;
			options = heap_getattr(tuple, Anum_pg_user_mapping_umoptions, RelationGetDescr(mappings), &isnull);
			if (isnull)
				continue;
			names = untransformRelOptions(options);
			foreach(cell, names)
			{
				DefElem *option = (DefElem *) lfirst(cell);

				if (!is_listed(option->defname, allowed))
				{
					snprintf(found, found_size, "%s\n%s", server->servername, option->defname);
					result = 1;
					break;
				}
			}
		}
		systable_endscan(scan);
		table_close(mappings, AccessShareLock);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		FlushErrorState();
		result = -1;
	}
	PG_END_TRY();
	InterruptHoldoffCount = holdoff;
	return result;
}
