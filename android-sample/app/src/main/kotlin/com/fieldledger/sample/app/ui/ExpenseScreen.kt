package com.fieldledger.sample.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.ScreenModel
import com.fieldledger.sample.core.ExpenseViewModel

/** An expense with its receipts; amounts stay decimal text from the keyboard to the ledger. */
@Composable
fun ExpenseScreen(model: ScreenModel<ExpenseViewModel>, modifier: Modifier) {
    val s by model.vm.state.collectAsState()
    val capture = rememberPhotoCapture { model.vm.addReceipt(it) }
    LaunchedEffect(Unit) { model.vm.load() }
    Column(modifier.padding(12.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("Expense ${s.draft.date}", style = MaterialTheme.typography.titleLarge)
        ErrorText(s.error)
        Field("Amount (CNY)", s.draft.amount, "amount", s.fieldErrors, Modifier.fillMaxWidth(), KeyboardType.Decimal) { v ->
            model.vm.change { it.copy(amount = v) }
        }
        LazyRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            items(s.categories) { c ->
                FilterChip(selected = s.draft.category == c, onClick = { model.vm.change { it.copy(category = c) } }, label = { Text(c) })
            }
        }
        LazyRow(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            items(s.costCodes) { c ->
                FilterChip(selected = s.draft.costCode == c.code, onClick = { model.vm.change { it.copy(costCode = c.code) } }, label = { Text("${c.code} ${c.name}") })
            }
        }
        Field("Cost code", s.draft.costCode, "cost_code", s.fieldErrors, Modifier.fillMaxWidth()) { v -> model.vm.change { it.copy(costCode = v) } }
        Field("Vendor", s.draft.vendor, "vendor", s.fieldErrors, Modifier.fillMaxWidth()) { v -> model.vm.change { it.copy(vendor = v) } }
        Field("Note", s.draft.note, "note", s.fieldErrors, Modifier.fillMaxWidth()) { v -> model.vm.change { it.copy(note = v) } }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = capture.takePhoto) { Text("Photograph receipt") }
            OutlinedButton(onClick = capture.pickPhoto) { Text("Pick") }
        }
        for (r in s.receipts) {
            Row { Text(r.path.substringAfterLast('/'), Modifier.weight(1f)); TextButton(onClick = { model.vm.removeReceipt(r.path) }) { Text("Remove") } }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(enabled = !s.busy, onClick = { model.launch { save() } }) { Text(if (s.saved == null) "Save expense" else "Save changes") }
            if (s.saved != null) TextButton(onClick = { model.vm.startNext() }) { Text("Next expense") }
        }
        s.saved?.let { e ->
            Text("Saved: ${e.amount} ${e.currency} · ${e.category}")
            Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) { e.receipts.forEach { Thumbnail(it.thumbnailPath) } }
        }
    }
}
