/*
 * pymcache_fdw's Multicorn-compatible host: declarations shared by the C files.
 *
 * Layout (like postgres_fdw, by concern):
 *   host.c        module entry, the FDW handler, _PG_init
 *   options.c     the validator, the merged table/server/user mapping options
 *   instances.c   the per-table wrapper instance cache (built with the options and ColumnDefinitions)
 *   xact.c        begin/sub_begin and every transaction callback, fanned out to the instances
 *   import.c      IMPORT FOREIGN SCHEMA
 *   conversion.c  Datum <-> Python
 *   quals.c       qual extraction and the Qual list handed to Python, sort deparsing, SortKey objects
 *   planner.c     GetForeignRelSize, GetForeignPaths, GetForeignUpperPaths, GetForeignPlan
 *   executor.c    the scan callbacks and EXPLAIN
 *   modify.c      INSERT/UPDATE/DELETE, batch insert, COPY FROM
 *   bridge.c      the interpreter, the C module multicorn._utils, Python exception -> PostgreSQL error
 */
#ifndef PYMCACHE_MULTICORN_HOST_H
#define PYMCACHE_MULTICORN_HOST_H

/* Python.h must come first: it sets feature macros the system headers read. */
#include <Python.h>

#include "postgres.h"

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"

/* ---- per-column conversion info ---- */
typedef struct HostColumn
{
	bool	 dropped;
	char	*attname;
	Oid		 typoid;
	int32	 typmod;
	int		 ndims; /* declared array dimensions (pg_attribute.attndims) */
	Oid		 ioparam;
	FmgrInfo infunc;
} HostColumn;

/* Conversion info for every attribute of a tuple descriptor (index = attnum - 1). */
extern HostColumn *host_columns_for(TupleDesc desc);
extern HostColumn *host_column_names_for(TupleDesc desc, bool with_input);

/* ---- a restriction in multicorn's shape: column op value ---- */
typedef struct HostQual
{
	AttrNumber attnum;
	char	  *opname;
	bool	   is_array; /* col op ANY/ALL(array) */
	bool	   use_or;	 /* ANY (true) or ALL (false) */
	Expr	  *right;	 /* Const, or an expression evaluated at execution (Params) */
} HostQual;

extern void host_extract_quals(PlannerInfo *root, Relids relids, Expr *clause, List **quals);

/* ---- a requested sort, deparsed ---- */
typedef struct HostSortKey
{
	char	*attname;
	int		 attnum;
	bool	 reversed;
	bool	 nulls_first;
	char	*collate; /* NULL: default collation */
	PathKey *pathkey; /* planner only */
} HostSortKey;

extern List		*host_deparse_sort(PlannerInfo *root, RelOptInfo *rel, Oid ftid);
extern List		*host_sortkeys_to_nodes(List *sortkeys);
extern List		*host_sortkeys_from_nodes(List *nodes);
extern PyObject *host_sortkeys_to_python(List *sortkeys);

/* ---- bridge ---- */
extern void		 host_python_init(void);
extern void		 host_raise_python_error(void); /* ereport the pending Python exception, if any */
extern void		 host_check_python(void);		/* same; used after every call into Python */
extern PyObject *host_get_class(const char *dotted_name);
extern PyObject *host_multicorn_attr(const char *name); /* borrowed: multicorn.<name> */
extern PyObject *host_name(const char *text);			/* borrowed: the interned str `text` */
extern PyObject *host_call_method(PyObject *object, const char *method, PyObject *args, PyObject *kwargs);
extern void		 host_call_method_void(PyObject *object, const char *method, PyObject *args);
extern void		 host_report_python_error_at(int elevel);
extern void		 host_forget_pending_error(void);

/* ---- conversion ---- */
extern PyObject *host_datum_to_python(Datum value, Oid typoid);
extern PyObject *host_unevaluated_to_python(Oid typoid);		 /* EXPLAIN's placeholder for a value not evaluated */
extern PyObject *host_cstring_to_python(const char *text);		 /* server encoding -> str */
extern char		*host_python_to_server_string(PyObject *object); /* str() in the server encoding, palloc'd */
extern void		 host_python_row_to_slot(PyObject *row, TupleTableSlot *slot, HostColumn *columns, StringInfo buffer);
extern void host_python_row_to_slot_named(PyObject *row, TupleTableSlot *slot, HostColumn *columns, PyObject **names,
										  StringInfo buffer);
extern PyObject *host_slot_to_python_dict(TupleTableSlot *slot, HostColumn *columns);
extern PyObject *host_options_to_python(List *defelems);

/* ---- options (options.c) ---- */
extern List *host_user_mapping_options(Oid serverid);
extern List *host_merged_options(Oid ftid);

/* ---- wrapper instances (instances.c) and their Python-side transactions (xact.c) ---- */
typedef struct HostInstance
{
	Oid		  ftid;			/* hash key: the foreign table */
	PyObject *instance;		/* NULL until built */
	char	 *signature;	/* the merged options and columns it was built with (CacheMemoryContext) */
	bool	  checked;		/* signature compared since the last catalog change that could alter it */
	Oid		  checked_user; /* the user it was compared for (the user mapping depends on it) */
	int		  xact_depth;	/* xact.c: 0 outside a transaction; n: begin + sub_begin up to level n */
} HostInstance;

extern PyObject *host_instance_for(Oid ftid); /* borrowed; starts the Python-side transaction */
extern HTAB		*host_instances(void);		  /* NULL before the first instance */
extern void		 host_xact_begin(HostInstance *entry);
extern void		 host_register_xact_callbacks(void);

/* ---- qual -> python ---- */
typedef enum HostQualValues
{
	HOST_QUALS_CONSTANTS_ONLY, /* planning: quals whose value is not a constant are left out */
	HOST_QUALS_EVALUATED,	   /* execution: every value evaluated */
	HOST_QUALS_NOT_EVALUATED   /* EXPLAIN: values that are not constants are not evaluated */
} HostQualValues;

extern PyObject *host_quals_to_python(List *quals, HostColumn *columns, HostQualValues values, List *states,
									  ExprContext *econtext);
extern PyObject *host_names_to_pyset(List *names);

/* ---- FDW callbacks ---- */
extern void			   hostGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid ftid);
extern void			   hostGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid ftid);
extern void			   hostGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
												RelOptInfo *output_rel, void *extra);
extern ForeignScan	  *hostGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid ftid, ForeignPath *best_path,
										  List *tlist, List *scan_clauses, Plan *outer_plan);
extern void			   hostBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *hostIterateForeignScan(ForeignScanState *node);
extern void			   hostReScanForeignScan(ForeignScanState *node);
extern void			   hostEndForeignScan(ForeignScanState *node);
extern void			   hostExplainForeignScan(ForeignScanState *node, ExplainState *es);

extern void	 hostAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
										 Relation target_relation);
extern List *hostPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index);
extern void	 hostBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
									int subplan_index, int eflags);
extern TupleTableSlot  *hostExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
											  TupleTableSlot *planSlot);
extern TupleTableSlot **hostExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
												   TupleTableSlot **planSlots, int *numSlots);
extern int				hostGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern TupleTableSlot  *hostExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
											  TupleTableSlot *planSlot);
extern TupleTableSlot  *hostExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
											  TupleTableSlot *planSlot);
extern void				hostEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void				hostBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void				hostEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern List			   *hostImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* Planner state kept in baserel->fdw_private (and passed to the upper rels for LIMIT pushdown). */
typedef struct HostPlanState
{
	Oid			ftid;
	PyObject   *instance; /* borrowed from the instance cache */
	HostColumn *columns;
	int			natts;
	List	   *target_names; /* String nodes: the columns the scan must return */
	List	   *quals;		  /* HostQual */
	int			width;
	int			startup_cost;
	List	   *sortkeys; /* HostSortKey the wrapper accepted (last computed) */
	bool		sort_pushed_down;
	RelOptInfo *scan_rel; /* the base rel, for upper rels */
} HostPlanState;

/* fdw_private of a ForeignPath. */
typedef struct HostPathState
{
	List *sortkeys;
	int	  limit;  /* -1: none */
	int	  offset; /* -1: none */
} HostPathState;

#endif
