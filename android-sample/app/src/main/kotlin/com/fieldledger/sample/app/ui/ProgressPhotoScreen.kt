package com.fieldledger.sample.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.DropdownMenu
import androidx.compose.material3.DropdownMenuItem
import androidx.compose.material3.FilterChip
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.ScreenModel
import com.fieldledger.sample.core.MeasureKind
import com.fieldledger.sample.core.ProgressPhotoViewModel

/** A progress report: the schedule activity, percent or quantity, and photos taken or picked. */
@Composable
fun ProgressPhotoScreen(model: ScreenModel<ProgressPhotoViewModel>, modifier: Modifier) {
    val s by model.vm.state.collectAsState()
    val capture = rememberPhotoCapture { model.vm.addPhoto(it) }
    var choosing by remember { mutableStateOf(false) }
    LaunchedEffect(Unit) { model.vm.load() }
    Column(modifier.padding(12.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text("Progress ${s.draft.date}", style = MaterialTheme.typography.titleLarge)
        ErrorText(s.error)
        OutlinedButton(onClick = { choosing = true }) {
            Text(s.activities.firstOrNull { it.id == s.draft.activity }?.name ?: s.draft.activity.ifEmpty { "Choose activity" })
        }
        DropdownMenu(expanded = choosing, onDismissRequest = { choosing = false }) {
            for (a in s.activities) {
                DropdownMenuItem(text = { Text("${a.id} ${a.name}") }, onClick = { model.vm.choose(a); choosing = false })
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            for (kind in MeasureKind.entries) {
                FilterChip(
                    selected = s.draft.measure == kind,
                    onClick = { model.vm.change { it.copy(measure = kind) } },
                    label = { Text(if (kind == MeasureKind.PERCENT) "% complete" else "Quantity") },
                )
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(6.dp)) {
            val key = if (s.draft.measure == MeasureKind.PERCENT) "percent" else "quantity"
            Field(if (s.draft.measure == MeasureKind.PERCENT) "Percent" else "Installed", s.draft.value, key, s.fieldErrors, Modifier.weight(1f), KeyboardType.Decimal) { v ->
                model.vm.change { it.copy(value = v) }
            }
            if (s.draft.measure == MeasureKind.QUANTITY) {
                Field("Unit", s.draft.unit, "unit", s.fieldErrors, Modifier.weight(1f)) { v -> model.vm.change { it.copy(unit = v) } }
            }
        }
        Field("Caption", s.draft.caption, "caption", s.fieldErrors, Modifier.fillMaxWidth()) { v -> model.vm.change { it.copy(caption = v) } }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = capture.takePhoto) { Text("Take photo") }
            OutlinedButton(onClick = capture.pickPhoto) { Text("Pick photo") }
        }
        for (p in s.photos) {
            Row { Text(p.path.substringAfterLast('/'), Modifier.weight(1f)); TextButton(onClick = { model.vm.removePhoto(p.path) }) { Text("Remove") } }
        }
        if (s.busy && s.toAttach > 0) {
            LinearProgressIndicator(progress = { s.attached.toFloat() / s.toAttach }, modifier = Modifier.fillMaxWidth())
        }
        Button(enabled = !s.busy, onClick = { model.launch { save() } }) { Text(if (s.saved == null) "Save report" else "Save changes") }
        s.saved?.let { r -> Row(horizontalArrangement = Arrangement.spacedBy(4.dp)) { r.photos.forEach { Thumbnail(it.thumbnailPath) } } }
    }
}
