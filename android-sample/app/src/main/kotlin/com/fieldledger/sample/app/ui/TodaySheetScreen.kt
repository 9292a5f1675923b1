package com.fieldledger.sample.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AssistChip
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.ScreenModel
import com.fieldledger.sample.core.TodaySheetViewModel
import uniffi.mobile_core.CrewLine
import uniffi.mobile_core.EffortUnit

/** Today's labour sheet: presets on top (two taps per line), the form, then the lines with one-tap headcount changes. */
@Composable
fun TodaySheetScreen(model: ScreenModel<TodaySheetViewModel>, modifier: Modifier) {
    val s by model.vm.state.collectAsState()
    LaunchedEffect(Unit) { model.vm.load() }
    LazyColumn(modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            Text("点工单 ${s.date}", style = MaterialTheme.typography.titleLarge)
            ErrorText(s.error)
        }
        if (s.sheet == null) {
            item {
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    Button(onClick = { model.launch { startToday(copyLatest = true) } }) { Text("Same crews as last time") }
                    OutlinedButton(onClick = { model.launch { startToday(copyLatest = false) } }) { Text("Empty sheet") }
                }
            }
        }
        item {
            LazyRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
                items(s.presets) { p ->
                    AssistChip(onClick = { model.vm.pick(p) }, label = { Text("${p.trade} ${p.rate ?: ""}") })
                }
            }
        }
        item { CrewForm(model) }
        s.sheet?.let { sheet ->
            items(sheet.lines, key = { it.id }) { line -> LineRow(model, line) }
            item {
                HorizontalDivider()
                Text("${sheet.totalHeadcount} workers · ${sheet.totalCost} ${sheet.currency}", style = MaterialTheme.typography.titleMedium)
            }
        }
    }
}

@Composable
private fun CrewForm(model: ScreenModel<TodaySheetViewModel>) {
    val s by model.vm.state.collectAsState()
    val d = s.draft
    val e = s.fieldErrors
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            Field("Trade 工种", d.trade, "trade", e, Modifier.weight(1f)) { v -> model.vm.change { it.copy(trade = v) } }
            Field("Crew 班组", d.crew, "crew", e, Modifier.weight(1f)) { v -> model.vm.change { it.copy(crew = v) } }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(6.dp), verticalAlignment = Alignment.CenterVertically) {
            Field("Headcount", d.headcount, "headcount", e, Modifier.weight(1f), KeyboardType.Number) { v -> model.vm.change { it.copy(headcount = v) } }
            Field(if (d.effortUnit == EffortUnit.DAYS) "Days" else "Hours", d.effort, "effort", e, Modifier.weight(1f), KeyboardType.Decimal) { v ->
                model.vm.change { it.copy(effort = v) }
            }
            FilterChip(
                selected = d.effortUnit == EffortUnit.HOURS,
                onClick = { model.vm.change { it.copy(effortUnit = if (it.effortUnit == EffortUnit.DAYS) EffortUnit.HOURS else EffortUnit.DAYS) } },
                label = { Text("by hour") },
            )
        }
        Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            Field("Rate", d.rate, "rate", e, Modifier.weight(1f), KeyboardType.Decimal) { v -> model.vm.change { it.copy(rate = v) } }
            Field("Cost code", d.costCode, "cost_code", e, Modifier.weight(1f)) { v -> model.vm.change { it.copy(costCode = v) } }
        }
        Field("Activity", d.activity, "activity", e, Modifier.fillMaxWidth()) { v -> model.vm.change { it.copy(activity = v) } }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(enabled = !s.busy, onClick = { model.launch { save() } }) { Text(if (d.lineId == null) "Add line" else "Save line") }
            TextButton(onClick = { model.vm.clearDraft() }) { Text("Clear") }
        }
    }
}

@Composable
private fun LineRow(model: ScreenModel<TodaySheetViewModel>, line: CrewLine) {
    Row(
        Modifier.fillMaxWidth().clickable { model.vm.edit(line) },
        verticalAlignment = Alignment.CenterVertically,
        horizontalArrangement = Arrangement.spacedBy(6.dp),
    ) {
        Column(Modifier.weight(1f)) {
            Text("${line.trade} ${line.crew ?: ""}", style = MaterialTheme.typography.bodyLarge)
            val unit = if (line.effortUnit == EffortUnit.DAYS) "d" else "h"
            Text("${line.effort}$unit × ${line.rate} · ${line.costCode} = ${line.cost}", style = MaterialTheme.typography.bodySmall)
        }
        TextButton(onClick = { model.launch { nudgeHeadcount(line.id, -1) } }) { Text("−") }
        Text("${line.headcount}", style = MaterialTheme.typography.titleMedium)
        TextButton(onClick = { model.launch { nudgeHeadcount(line.id, +1) } }) { Text("+") }
        TextButton(onClick = { model.launch { remove(line.id) } }) { Text("✕") }
    }
}
