package com.fieldledger.sample.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.ScreenModel
import com.fieldledger.sample.core.RecordViewModel
import com.fieldledger.sample.core.RecordsViewModel
import com.fieldledger.sample.core.label
import uniffi.mobile_core.AnyRecord

/** The week's records with approval state; conflicts and rejections stand out. */
@Composable
fun RecordsScreen(model: ScreenModel<RecordsViewModel>, modifier: Modifier, onOpen: (String) -> Unit) {
    val s by model.vm.state.collectAsState()
    LaunchedEffect(Unit) { model.vm.refresh() }
    LazyColumn(modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        item {
            Row { Text("Records", style = MaterialTheme.typography.titleLarge, modifier = Modifier.weight(1f)); TextButton(onClick = { model.launch { refresh() } }) { Text("Refresh") } }
            ErrorText(s.error)
        }
        items(s.rows, key = { it.summary.id }) { row ->
            Column(Modifier.fillMaxWidth().clickable { onOpen(row.summary.id) }) {
                Text("${row.summary.date} · ${row.summary.subject} · ${row.summary.total ?: ""} ${row.summary.currency ?: ""}")
                val color = if (row.needsAttention) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant
                val conflicts = if (row.summary.conflictCount > 0) " · ${row.summary.conflictCount} conflicts" else ""
                Text(row.approval.label() + conflicts, color = color, style = MaterialTheme.typography.bodySmall)
                HorizontalDivider()
            }
        }
    }
}

/** One record: where it stands with the supervisors, and every value two phones entered for the same field. */
@Composable
fun RecordScreen(model: ScreenModel<RecordViewModel>, modifier: Modifier, onBack: () -> Unit) {
    val s by model.vm.state.collectAsState()
    LaunchedEffect(Unit) { model.vm.load() }
    LazyColumn(modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            TextButton(onClick = onBack) { Text("← Records") }
            Text(describe(s.record), style = MaterialTheme.typography.titleMedium)
            s.approval?.let { Text(it.label()) }
            ErrorText(s.error)
            if (s.conflicts.isNotEmpty()) Text("Two phones changed these at once. Keep one value:", style = MaterialTheme.typography.titleSmall)
        }
        items(s.conflicts, key = { it.path }) { c ->
            Column {
                Text(c.path, style = MaterialTheme.typography.bodySmall)
                Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
                    c.values.forEachIndexed { i, v ->
                        if (i == 0) Button(onClick = { model.launch { keep(c.path, i) } }) { Text("Keep $v") }
                        else OutlinedButton(onClick = { model.launch { keep(c.path, i) } }) { Text("Keep $v") }
                    }
                }
            }
        }
    }
}

private fun describe(r: AnyRecord?): String = when (r) {
    is AnyRecord.LabourSheet -> "点工单 ${r.sheet.workDate}: ${r.sheet.totalHeadcount} workers, ${r.sheet.totalCost} ${r.sheet.currency}"
    is AnyRecord.Expense -> "Expense ${r.expense.date}: ${r.expense.amount} ${r.expense.currency} ${r.expense.category}"
    is AnyRecord.ProgressReport -> "Progress ${r.report.date}: ${r.report.activity}"
    is AnyRecord.WageAdvance -> "借支 ${r.advance.date}: ${r.advance.worker.name} ${r.advance.amount} ${r.advance.currency}"
    is AnyRecord.Observation -> "现场问题 ${r.observation.date}: ${r.observation.title} (${r.observation.severity.name.lowercase()})"
    is AnyRecord.DayLog -> "施工日志 ${r.log.date}: ${listOfNotNull(r.log.weatherAm, r.log.weatherPm).joinToString(" / ") { it.name.lowercase() }}, ${r.log.visitors.size} visitors, ${r.log.delays.size} delays"
    null -> ""
}
