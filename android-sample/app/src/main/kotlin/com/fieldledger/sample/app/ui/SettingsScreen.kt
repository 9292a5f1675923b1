package com.fieldledger.sample.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.app.AppSettings

/** Sign-in: the server, the device token an admin issued, the foreman's name, and the site. */
@Composable
fun SettingsScreen(initial: AppSettings, onSave: (AppSettings) -> Unit) {
    var s by remember { mutableStateOf(initial) }
    val none = emptyMap<String, String>()
    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text("Sign in", style = MaterialTheme.typography.titleLarge)
        Field("Server", s.serverUrl, "server", none, Modifier.fillMaxWidth()) { s = s.copy(serverUrl = it) }
        Field("Device token", s.token, "token", none, Modifier.fillMaxWidth()) { s = s.copy(token = it) }
        Field("Your name", s.author, "author", none, Modifier.fillMaxWidth()) { s = s.copy(author = it) }
        Field("Project", s.projectId, "project", none, Modifier.fillMaxWidth()) { s = s.copy(projectId = it) }
        Field("Site", s.siteId, "site", none, Modifier.fillMaxWidth()) { s = s.copy(siteId = it) }
        Field("Site name", s.siteName, "site_name", none, Modifier.fillMaxWidth()) { s = s.copy(siteName = it) }
        Field("Site time zone", s.timeZone, "time_zone", none, Modifier.fillMaxWidth()) { s = s.copy(timeZone = it) }
        Button(enabled = s.complete, onClick = { onSave(s) }) { Text("Start") }
    }
}
