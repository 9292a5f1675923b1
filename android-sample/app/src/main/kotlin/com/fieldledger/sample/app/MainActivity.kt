package com.fieldledger.sample.app

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.style.TextAlign
import androidx.lifecycle.viewmodel.compose.viewModel
import com.fieldledger.sample.app.ui.ExpenseScreen
import com.fieldledger.sample.app.ui.ProgressPhotoScreen
import com.fieldledger.sample.app.ui.RecordScreen
import com.fieldledger.sample.app.ui.RecordsScreen
import com.fieldledger.sample.app.ui.SettingsScreen
import com.fieldledger.sample.app.ui.SyncScreen
import com.fieldledger.sample.app.ui.TodaySheetScreen
import com.fieldledger.sample.core.ExpenseViewModel
import com.fieldledger.sample.core.ProgressPhotoViewModel
import com.fieldledger.sample.core.RecordViewModel
import com.fieldledger.sample.core.RecordsViewModel
import com.fieldledger.sample.core.SyncViewModel
import com.fieldledger.sample.core.TodaySheetViewModel
import java.time.Clock

private enum class Tab(val label: String, val glyph: String) {
    TODAY("Today", "👷"),
    PHOTO("Progress", "📷"),
    EXPENSE("Expense", "🧾"),
    SYNC("Sync", "⇅"),
    RECORDS("Records", "✓"),
}

class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val app = application as FieldledgerApplication
        setContent {
            MaterialTheme {
                var settings by remember { mutableStateOf(app.settings) }
                if (!settings.complete) {
                    SettingsScreen(settings) { updated ->
                        app.updateSettings(updated)
                        settings = updated
                    }
                } else {
                    Main(app, settings, onSignedOut = {
                        app.closeStore()
                        val cleared = settings.copy(token = "")
                        app.updateSettings(cleared)
                        settings = cleared
                    })
                }
            }
        }
    }
}

@Composable
private fun Main(app: FieldledgerApplication, settings: AppSettings, onSignedOut: () -> Unit) {
    val repo = app.repository()
    val site = settings.site
    val clock = Clock.systemUTC()
    var tab by rememberSaveable { mutableStateOf(Tab.TODAY) }
    var openRecord by rememberSaveable { mutableStateOf<String?>(null) }

    // One screen model per tab, kept across rotations and tab switches.
    val today = viewModel(key = "today") { ScreenModel(TodaySheetViewModel(repo, site, clock)) }
    val photo = viewModel(key = "photo") { ScreenModel(ProgressPhotoViewModel(repo, site, clock)) }
    val expense = viewModel(key = "expense") { ScreenModel(ExpenseViewModel(repo, site, clock)) }
    val sync = viewModel(key = "sync") { ScreenModel(SyncViewModel(repo, settings.account)) }
    val records = viewModel(key = "records") { ScreenModel(RecordsViewModel(repo, site, clock)) }

    Scaffold(
        bottomBar = {
            NavigationBar {
                for (t in Tab.entries) {
                    NavigationBarItem(
                        selected = tab == t,
                        onClick = { tab = t; openRecord = null },
                        icon = { Text(t.glyph) },
                        label = { Text(t.label, textAlign = TextAlign.Center) },
                    )
                }
            }
        },
    ) { padding ->
        val modifier = Modifier.padding(padding)
        when (tab) {
            Tab.TODAY -> TodaySheetScreen(today, modifier)
            Tab.PHOTO -> ProgressPhotoScreen(photo, modifier)
            Tab.EXPENSE -> ExpenseScreen(expense, modifier)
            Tab.SYNC -> SyncScreen(sync, modifier, onSignedOut)
            Tab.RECORDS -> {
                val id = openRecord
                if (id == null) {
                    RecordsScreen(records, modifier, onOpen = { openRecord = it })
                } else {
                    val record = viewModel(key = "record-$id") { ScreenModel(RecordViewModel(repo, id)) }
                    RecordScreen(record, modifier, onBack = { openRecord = null })
                }
            }
        }
    }
}
