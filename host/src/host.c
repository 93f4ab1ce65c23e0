/*
 * Entry points of the `multicorn` extension built by pymcache_fdw (host/): the module magic, the FDW
 * handler (what PostgreSQL calls for every foreign table of a `multicorn` server) and module init.
 */
#include "host.h"

#include "commands/explain.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(multicorn_handler);

void _PG_init(void);

Datum
multicorn_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = hostGetForeignRelSize;
	routine->GetForeignPaths = hostGetForeignPaths;
	routine->GetForeignUpperPaths = hostGetForeignUpperPaths;
	routine->GetForeignPlan = hostGetForeignPlan;
	routine->ExplainForeignScan = hostExplainForeignScan;
	routine->BeginForeignScan = hostBeginForeignScan;
	routine->IterateForeignScan = hostIterateForeignScan;
	routine->ReScanForeignScan = hostReScanForeignScan;
	routine->EndForeignScan = hostEndForeignScan;

	routine->AddForeignUpdateTargets = hostAddForeignUpdateTargets;
	routine->PlanForeignModify = hostPlanForeignModify;
	routine->BeginForeignModify = hostBeginForeignModify;
	routine->ExecForeignInsert = hostExecForeignInsert;
	routine->ExecForeignBatchInsert = hostExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = hostGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = hostExecForeignUpdate;
	routine->ExecForeignDelete = hostExecForeignDelete;
	routine->EndForeignModify = hostEndForeignModify;
	routine->BeginForeignInsert = hostBeginForeignInsert;
	routine->EndForeignInsert = hostEndForeignInsert;

	routine->ImportForeignSchema = hostImportForeignSchema;
	PG_RETURN_POINTER(routine);
}

void
_PG_init(void)
{
	/* Python itself starts lazily, on the first call that needs it. */
	host_register_xact_callbacks();
}
