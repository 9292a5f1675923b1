package com.fieldledger.sample.app.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.size
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.ui.unit.dp
import com.fieldledger.sample.core.UiError

/** A text field that shows the view model's error for [key] under it. */
@Composable
fun Field(
    label: String,
    value: String,
    key: String,
    errors: Map<String, String>,
    modifier: Modifier = Modifier,
    keyboard: KeyboardType = KeyboardType.Text,
    onChange: (String) -> Unit,
) {
    val error = errors[key]
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        isError = error != null,
        supportingText = error?.let { { Text(it) } },
        singleLine = true,
        keyboardOptions = KeyboardOptions(keyboardType = keyboard),
        modifier = modifier,
    )
}

@Composable
fun ErrorText(error: UiError?) {
    if (error != null) Text(error.message, color = MaterialTheme.colorScheme.error)
}

/** A photo's thumbnail from the phone's store (made by the core at attach time). */
@Composable
fun Thumbnail(path: String, modifier: Modifier = Modifier) {
    val bitmap = remember(path) { BitmapFactory.decodeFile(path)?.asImageBitmap() }
    if (bitmap != null) Image(bitmap, contentDescription = null, modifier = modifier.size(72.dp))
}
