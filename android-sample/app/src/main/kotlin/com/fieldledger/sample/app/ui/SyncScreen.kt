package com.fieldledger.sample.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
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
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.ScreenModel
import com.fieldledger.sample.core.SyncPhase
import com.fieldledger.sample.core.SyncViewModel

/** Sync with progress, what still waits on the phone, and a sign-out that asks before discarding unsynced work. */
@Composable
fun SyncScreen(model: ScreenModel<SyncViewModel>, modifier: Modifier, onSignedOut: () -> Unit) {
    val s by model.vm.state.collectAsState()
    var confirmDiscard by remember { mutableStateOf(false) }
    LaunchedEffect(Unit) { model.vm.refresh() }
    LaunchedEffect(s.signedOut) { if (s.signedOut) onSignedOut() }
    Column(modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(10.dp)) {
        Text("Sync", style = MaterialTheme.typography.titleLarge)
        s.unsynced?.let { Text("Waiting on this phone: ${it.records} records, ${it.photos} photos") }
        Button(enabled = !s.running, onClick = { model.launch { sync() } }) { Text("Sync now") }
        when (val p = s.phase) {
            is SyncPhase.Running -> {
                if (p.steps > 0) {
                    LinearProgressIndicator(progress = { p.step.toFloat() / p.steps }, modifier = Modifier.fillMaxWidth())
                } else {
                    LinearProgressIndicator(modifier = Modifier.fillMaxWidth())
                }
                Text(p.item, style = MaterialTheme.typography.bodySmall)
            }
            is SyncPhase.Finished -> {
                val r = p.report
                Text("Sent ${r.documentsSent}, received ${r.documentsReceived} records; ${r.photosUploaded} photos uploaded.")
                for (e in r.errors) Text("${e.id}: ${e.message}", color = MaterialTheme.colorScheme.error)
            }
            is SyncPhase.Failed -> ErrorText(p.error)
            SyncPhase.Idle -> {}
        }
        OutlinedButton(onClick = { model.launch { if (!signOut(discardUnsynced = false)) confirmDiscard = state.value.signOutBlocked != null } }) {
            Text("Sign out")
        }
    }
    val blocked = s.signOutBlocked
    if (confirmDiscard && blocked != null) {
        AlertDialog(
            onDismissRequest = { confirmDiscard = false },
            title = { Text("Unsynced work") },
            text = { Text("${blocked.message} Signing out now deletes it from this phone for good.") },
            confirmButton = { TextButton(onClick = { confirmDiscard = false; model.launch { signOut(discardUnsynced = true) } }) { Text("Delete and sign out") } },
            dismissButton = { TextButton(onClick = { confirmDiscard = false; model.launch { sync() } }) { Text("Sync first") } },
        )
    }
}
