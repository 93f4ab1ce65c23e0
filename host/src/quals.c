/*
 * Qual and sort extraction, with multicorn2 3.x's rules (src/query.c there):
 *
 * - `col op expr` (binary operator): when the column is on the right, the operands are swapped and the
 *   operator replaced by its commutator (a qual is skipped if there is none); relabelings (varchar->text)
 *   are looked through; the other side must not be volatile nor refer to the scanned table. The operator
 *   is reported by name ('=', '<>', '~~', ...).
 * - `col op ANY/ALL(array)`: operator (name, True for ANY / False for ALL), value the list of elements.
 * - `col IS NULL` / `col IS NOT NULL`: operator '=' / '<>' with value None.
 * - a boolean column (3.2): `col` is '=' true, `NOT col` '<>' true, `col IS [NOT] TRUE/FALSE/UNKNOWN` 'IS' /
 *   'IS NOT' with true, false or None; the values reach Python like any bool, as the text 't' or 'f'.
 * - the value is a constant, or anything else (Params of prepared statements and nested loops, stable
 *   functions) evaluated when the scan starts; at planning time only constant quals are shown.
 * - any other AND/OR/NOT is not pushed, silently; any other kind of clause (a function of the column,
 *   IS DISTINCT FROM, ...) is not pushed either, and multicorn2 says so with a WARNING "unsupported
 *   expression for extractClauseFrom" carrying the node tree as detail.
 */
#include "host.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

static Node *
strip_relabel(Node *node)
{
	if (IsA(node, RelabelType))
		return (Node *) ((RelabelType *) node)->arg;
	if (IsA(node, ArrayCoerceExpr))
		return (Node *) ((ArrayCoerceExpr *) node)->arg;
	return node;
}

static bool
is_our_column(Node *node, Relids relids)
{
	return IsA(node, Var) && bms_is_member(((Var *) node)->varno, relids) && ((Var *) node)->varattno >= 1;
}

static char *
operator_name(Oid opno)
{
	HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	char	 *name;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	name = pstrdup(NameStr(((Form_pg_operator) GETSTRUCT(tuple))->oprname));
	ReleaseSysCache(tuple);
	return name;
}

static Oid
operator_commutator(Oid opno)
{
	return get_commutator(opno);
}

/* The other side may be pushed: no volatile function, no reference to the scanned table. */
static bool
pushable_value(Relids relids, Expr *value)
{
	List	 *vars;
	ListCell *lc;

	if (contain_volatile_functions((Node *) value))
		return false;
	vars = pull_var_clause((Node *) value, PVC_RECURSE_AGGREGATES | PVC_RECURSE_PLACEHOLDERS);
	foreach(lc, vars)
	{
		if (IsA(lfirst(lc), Var) && bms_is_member(((Var *) lfirst(lc))->varno, relids))
			return false;
	}
	return true;
}

static void
add_qual(List **quals, AttrNumber attnum, char *opname, Expr *right, bool is_array, bool use_or)
{
	HostQual *qual = palloc0(sizeof(HostQual));

	qual->attnum = attnum;
	qual->opname = opname;
	qual->right = right;
	qual->is_array = is_array;
	qual->use_or = use_or;
	*quals = lappend(*quals, qual);
}

static void
extract_opexpr(PlannerInfo *root, Relids relids, OpExpr *op, List **quals)
{
	Node *left, *right;
	Oid	  opno = op->opno;

	if (list_length(op->args) != 2)
		return;
	left = strip_relabel(linitial(op->args));
	right = strip_relabel(lsecond(op->args));
	/* Put our column on the left, using the commutator. */
	if (IsA(right, Var) && (!IsA(left, Var) || (!bms_is_member(((Var *) left)->varno, relids) &&
												bms_is_member(((Var *) right)->varno, relids))))
	{
		Oid	  commutator = operator_commutator(opno);
		Node *swap = left;

		if (!OidIsValid(commutator))
			return;
		left = right;
		right = swap;
		opno = commutator;
	}
	if (!is_our_column(left, relids) || !pushable_value(relids, (Expr *) right))
		return;
	add_qual(quals, ((Var *) left)->varattno, operator_name(opno), (Expr *) right, false, false);
}

static void
extract_scalar_array(PlannerInfo *root, Relids relids, ScalarArrayOpExpr *op, List **quals)
{
	Node *left, *right;

	if (list_length(op->args) != 2)
		return;
	left = strip_relabel(linitial(op->args));
	right = strip_relabel(lsecond(op->args));
	if (!is_our_column(left, relids) || !pushable_value(relids, (Expr *) right))
		return;
	add_qual(quals, ((Var *) left)->varattno, operator_name(op->opno), (Expr *) right, true, op->useOr);
}

static void
extract_nulltest(NullTest *test, List **quals)
{
	Var *var;

	if (!IsA(test->arg, Var))
		return;
	var = (Var *) test->arg;
	if (var->varattno < 1)
		return;
	add_qual(quals, var->varattno, pstrdup(test->nulltesttype == IS_NULL ? "=" : "<>"),
			 (Expr *) makeNullConst(INT4OID, -1, InvalidOid), false, false);
}

static Expr *
bool_const(bool value, bool isnull)
{
	return (Expr *) makeConst(BOOLOID, -1, InvalidOid, sizeof(bool), BoolGetDatum(value), isnull, true);
}

/* A boolean column alone: `WHERE flag` is flag = true. */
static void
extract_bool_column(Relids relids, Var *var, List **quals)
{
	if (!is_our_column((Node *) var, relids))
		return;
	add_qual(quals, var->varattno, pstrdup("="), bool_const(true, false), false, false);
}

/* `NOT flag` is flag <> true; any other AND/OR/NOT is not pushed, silently (multicorn2 3.2). */
static void
extract_boolexpr(Relids relids, BoolExpr *expr, List **quals)
{
	Node *arg;

	if (expr->boolop != NOT_EXPR || list_length(expr->args) != 1)
		return;
	arg = (Node *) linitial(expr->args);
	if (!is_our_column(arg, relids))
		return;
	add_qual(quals, ((Var *) arg)->varattno, pstrdup("<>"), bool_const(true, false), false, false);
}

/* `flag IS [NOT] TRUE/FALSE/UNKNOWN`: operator IS or IS NOT, value true, false or NULL. */
static void
extract_booleantest(Relids relids, BooleanTest *test, List **quals)
{
	bool  negated = false;
	Expr *value;

	if (!is_our_column((Node *) test->arg, relids))
		return;
	switch (test->booltesttype)
	{
		case IS_NOT_TRUE:
			negated = true;
			/* FALLTHROUGH */
		case IS_TRUE:
			value = bool_const(true, false);
			break;
		case IS_NOT_FALSE:
			negated = true;
			/* FALLTHROUGH */
		case IS_FALSE:
			value = bool_const(false, false);
			break;
		case IS_NOT_UNKNOWN:
			negated = true;
			/* FALLTHROUGH */
		case IS_UNKNOWN:
			value = bool_const(false, true);
			break;
		default:
			return;
	}
	add_qual(quals, ((Var *) test->arg)->varattno, pstrdup(negated ? "IS NOT" : "IS"), value, false, false);
}

void
host_extract_quals(PlannerInfo *root, Relids relids, Expr *clause, List **quals)
{
	switch (nodeTag(clause))
	{
		case T_OpExpr:
			extract_opexpr(root, relids, (OpExpr *) clause, quals);
			break;
		case T_ScalarArrayOpExpr:
			extract_scalar_array(root, relids, (ScalarArrayOpExpr *) clause, quals);
			break;
		case T_NullTest:
			extract_nulltest((NullTest *) clause, quals);
			break;
		case T_Var:
			extract_bool_column(relids, (Var *) clause, quals);
			break;
		case T_BoolExpr:
			extract_boolexpr(relids, (BoolExpr *) clause, quals);
			break;
		case T_BooleanTest:
			extract_booleantest(relids, (BooleanTest *) clause, quals);
			break;
		default:
			ereport(WARNING, (errcode(ERRCODE_WARNING), errmsg("unsupported expression for extractClauseFrom"),
							  errdetail("%s", nodeToString(clause))));
			break;
	}
}

/* Qual(column, operator, p_value), a new reference; takes over `p_value` (NULL: a Python error is pending). */
static PyObject *
qual_to_python(HostQual *qual, HostColumn *columns, PyObject *p_value)
{
	PyObject *qual_class = host_multicorn_attr("Qual");
	PyObject *p_operator, *p_name, *result;

	if (p_value == NULL)
		host_raise_python_error();
	p_operator = host_cstring_to_python(qual->opname);
	if (p_operator != NULL && qual->is_array)
	{
		PyObject *pair = Py_BuildValue("(OO)", p_operator, qual->use_or ? Py_True : Py_False);

		Py_DECREF(p_operator);
		p_operator = pair;
	}
	p_name = host_cstring_to_python(columns[qual->attnum - 1].attname);
	result = (p_operator != NULL && p_name != NULL) ?
				 PyObject_CallFunctionObjArgs(qual_class, p_name, p_operator, p_value, NULL) :
				 NULL;
	Py_DECREF(p_value);
	Py_XDECREF(p_operator);
	Py_XDECREF(p_name);
	if (result == NULL)
		host_raise_python_error();
	return result;
}

/*
 * The Python list of Qual handed to get_rel_size(), execute() and explain(). A qual whose value is a constant
 * always gets it; for the others (Params, stable expressions) `values` says what happens:
 *   HOST_QUALS_CONSTANTS_ONLY   planning: they are left out;
 *   HOST_QUALS_EVALUATED        execution: evaluated with their ExprState (`states`, one per qual, in
 *                               `econtext`);
 *   HOST_QUALS_NOT_EVALUATED    EXPLAIN: not evaluated; the value is multicorn2's placeholder for the type
 *                               (host_unevaluated_to_python).
 */
PyObject *
host_quals_to_python(List *quals, HostColumn *columns, HostQualValues values, List *states, ExprContext *econtext)
{
	PyObject *result = PyList_New(0);
	ListCell *lc;

	if (result == NULL)
		host_raise_python_error();
	foreach(lc, quals)
	{
		HostQual *qual = (HostQual *) lfirst(lc);
		Oid		  typoid = exprType((Node *) qual->right);
		PyObject *p_qual;

		if (!IsA(qual->right, Const) && values == HOST_QUALS_CONSTANTS_ONLY)
			continue;
		PG_TRY();
		{
			Datum	  value;
			bool	  isnull;
			PyObject *p_value;

			if (IsA(qual->right, Const))
			{
				value = ((Const *) qual->right)->constvalue;
				isnull = ((Const *) qual->right)->constisnull;
				p_value = isnull ? Py_NewRef(Py_None) : host_datum_to_python(value, typoid);
			}
			else if (values == HOST_QUALS_EVALUATED)
			{
				value = ExecEvalExpr((ExprState *) list_nth(states, foreach_current_index(lc)), econtext, &isnull);
				p_value = isnull ? Py_NewRef(Py_None) : host_datum_to_python(value, typoid);
			}
			else
				p_value = host_unevaluated_to_python(typoid);
			p_qual = qual_to_python(qual, columns, p_value);
		}
		PG_CATCH();
		{
			Py_DECREF(result);
			PG_RE_THROW();
		}
		PG_END_TRY();
		PyList_Append(result, p_qual);
		Py_DECREF(p_qual);
	}
	return result;
}

/* A Python set of column names (multicorn2 passes `columns` as a set). */
PyObject *
host_names_to_pyset(List *names)
{
	PyObject *result = PySet_New(NULL);
	ListCell *lc;

	if (result == NULL)
		host_raise_python_error();
	foreach(lc, names)
	{
		PyObject *name = host_cstring_to_python(strVal(lfirst(lc)));

		if (name == NULL || PySet_Add(result, name) < 0)
		{
			Py_XDECREF(name);
			Py_DECREF(result);
			host_raise_python_error();
		}
		Py_DECREF(name);
	}
	return result;
}

/* The member of `ec` computed from `rel` alone, if any. */
static Expr *
member_for_rel(EquivalenceClass *ec, RelOptInfo *rel)
{
	ListCell *lc;

	foreach(lc, ec->ec_members)
	{
		EquivalenceMember *member = (EquivalenceMember *) lfirst(lc);

		if (bms_equal(member->em_relids, rel->relids))
			return member->em_expr;
	}
	return NULL;
}

/*
 * The query's requested order as HostSortKeys, or NIL unless every key is a plain column of this table
 * (possibly with COLLATE).
 */
List *
host_deparse_sort(PlannerInfo *root, RelOptInfo *rel, Oid ftid)
{
	List	 *result = NIL;
	ListCell *lc;

	foreach(lc, root->query_pathkeys)
	{
		PathKey		*pathkey = (PathKey *) lfirst(lc);
		Expr		*expr = member_for_rel(pathkey->pk_eclass, rel);
		HostSortKey *key;
		Var			*var = NULL;
		char		*collate = NULL;

		if (expr != NULL && IsA(expr, Var))
			var = (Var *) expr;
		else if (expr != NULL && IsA(expr, RelabelType) && IsA(((RelabelType *) expr)->arg, Var))
		{
			Oid collation = ((RelabelType *) expr)->resultcollid;

			var = (Var *) ((RelabelType *) expr)->arg;
			if (collation != DEFAULT_COLLATION_OID && OidIsValid(collation))
				collate = get_collation_name(collation);
		}
		if (var == NULL || var->varattno < 1)
			return NIL;
		key = palloc0(sizeof(HostSortKey));
		key->attname = get_attname(ftid, var->varattno, false);
		key->attnum = var->varattno;
		key->reversed = pathkey->pk_strategy == BTGreaterStrategyNumber;
		key->nulls_first = pathkey->pk_nulls_first;
		key->collate = collate;
		key->pathkey = pathkey;
		result = lappend(result, key);
	}
	return result;
}

/* Sort keys as plan-copyable nodes: [attname, attnum, reversed, nulls_first, collate or ""]. */
List *
host_sortkeys_to_nodes(List *sortkeys)
{
	List	 *result = NIL;
	ListCell *lc;

	foreach(lc, sortkeys)
	{
		HostSortKey *key = (HostSortKey *) lfirst(lc);

		result = lappend(result, list_make5(makeString(pstrdup(key->attname)), makeInteger(key->attnum),
											makeInteger(key->reversed), makeInteger(key->nulls_first),
											makeString(pstrdup(key->collate ? key->collate : ""))));
	}
	return result;
}

List *
host_sortkeys_from_nodes(List *nodes)
{
	List	 *result = NIL;
	ListCell *lc;

	foreach(lc, nodes)
	{
		List		*item = (List *) lfirst(lc);
		HostSortKey *key = palloc0(sizeof(HostSortKey));
		char		*collate = strVal(list_nth(item, 4));

		key->attname = strVal(list_nth(item, 0));
		key->attnum = intVal(list_nth(item, 1));
		key->reversed = intVal(list_nth(item, 2)) != 0;
		key->nulls_first = intVal(list_nth(item, 3)) != 0;
		key->collate = collate[0] != '\0' ? collate : NULL;
		result = lappend(result, key);
	}
	return result;
}

/* [SortKey(attname, attnum, is_reversed, nulls_first, collate), ...] */
PyObject *
host_sortkeys_to_python(List *sortkeys)
{
	PyObject *sortkey_class = host_multicorn_attr("SortKey");
	PyObject *result = PyList_New(0);
	ListCell *lc;

	if (result == NULL)
		host_raise_python_error();
	foreach(lc, sortkeys)
	{
		HostSortKey *key = (HostSortKey *) lfirst(lc);
		PyObject	*name = host_cstring_to_python(key->attname);
		PyObject	*collate = key->collate ? host_cstring_to_python(key->collate) : (Py_INCREF(Py_None), Py_None);
		PyObject	*item = (name && collate) ? PyObject_CallFunction(sortkey_class, "OiOOO", name, key->attnum,
																	  key->reversed ? Py_True : Py_False,
																	  key->nulls_first ? Py_True : Py_False, collate) :
												NULL;

		Py_XDECREF(name);
		Py_XDECREF(collate);
		if (item == NULL || PyList_Append(result, item) < 0)
		{
			Py_XDECREF(item);
			Py_DECREF(result);
			host_raise_python_error();
		}
		Py_DECREF(item);
	}
	return result;
}
