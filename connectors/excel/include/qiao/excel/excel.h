// The whole excel library in one include: readers, writers, header matching, rows to JSON,
// file identity. See docs/connectors/excel.md.
#pragma once

#include "qiao/excel/file_identity.h"
#include "qiao/excel/header_match.h"
#include "qiao/excel/row_json.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"
